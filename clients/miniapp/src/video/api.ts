/** Video customer service's requests (docs/rtc.md). The call's turns go over the socket when it
 * is up (answered in order with the events), else over REST; signaling, chat and quality only
 * over the socket. */
import {
  HubError,
  fetchRaw,
  loadRecentEvents,
  type HubClient,
  type Principal,
  type RawRequestOptions,
  type RecentEvents,
} from "@hallhub/client";
import { api, currentToken } from "../hub";
import type { ChatMessage, RtcSession, RtcTopic } from "./model";

const BASE = "/api/v1/rtc";

function seg(value: string): string {
  return encodeURIComponent(value);
}

export function whoAmI(): Promise<Principal> {
  return api<Principal>("GET", "/api/v1/auth/me");
}

export function loadTopics(): Promise<RtcTopic[]> {
  return api<RtcTopic[]>("GET", `${BASE}/topics`);
}

export function loadMine(): Promise<RtcSession[]> {
  return api<RtcSession[]>("GET", `${BASE}/sessions/mine`);
}

interface IceServerJson {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export async function loadIceServers(): Promise<RTCIceServer[]> {
  const answer = await api<{ ice_servers: IceServerJson[] }>("GET", `${BASE}/ice-servers`);
  return (answer.ice_servers ?? []).map((s) => {
    const server: RTCIceServer = { urls: s.urls };
    if (s.username) server.username = s.username;
    if (s.credential) server.credential = s.credential;
    return server;
  });
}

/** A topic's recent events: the position a snapshot matches, and what happened lately. */
export function recentEvents(topic: string, limit: number): Promise<RecentEvents> {
  return loadRecentEvents(api, topic, limit);
}

export function requestCall(client: HubClient, topic: string): Promise<RtcSession> {
  if (client.state === "online") return client.command<RtcSession>("rtc.request", { topic });
  return api<RtcSession>("POST", `${BASE}/sessions`, { topic });
}

export function leaveQueue(client: HubClient, sessionId: string): Promise<RtcSession> {
  if (client.state === "online") return client.command<RtcSession>("rtc.leave", { session_id: sessionId });
  return api<RtcSession>("POST", `${BASE}/sessions/${seg(sessionId)}/leave`);
}

/** End the call (the hub's `rtc.hang_up`; over REST the same as leaving). */
export function hangUp(client: HubClient, sessionId: string): Promise<RtcSession> {
  if (client.state === "online") return client.command<RtcSession>("rtc.hang_up", { session_id: sessionId });
  return api<RtcSession>("POST", `${BASE}/sessions/${seg(sessionId)}/leave`);
}

export function askCallback(client: HubClient, sessionId: string, phone: string): Promise<RtcSession> {
  if (client.state === "online") return client.command<RtcSession>("rtc.callback", { session_id: sessionId, phone });
  return api<RtcSession>("POST", `${BASE}/sessions/${seg(sessionId)}/callback`, { phone });
}

export function rateCall(client: HubClient, sessionId: string, stars: number, comment: string): Promise<RtcSession> {
  if (client.state === "online") {
    return client.command<RtcSession>("rtc.rate", { session_id: sessionId, stars, comment });
  }
  return api<RtcSession>("POST", `${BASE}/sessions/${seg(sessionId)}/rating`, { stars, comment });
}

export async function sendChat(client: HubClient, sessionId: string, text: string): Promise<ChatMessage> {
  const answer = await client.command<{ message: ChatMessage }>("rtc.chat", { session_id: sessionId, text });
  return answer.message;
}

/** The picture types the hub keeps, and its size limit. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** Why a picture would be refused before sending it: IMAGE_TOO_LARGE, IMAGE_INVALID, or null. */
export function imageProblem(file: { size: number; type: string }): "IMAGE_TOO_LARGE" | "IMAGE_INVALID" | null {
  if (file.size > MAX_IMAGE_BYTES) return "IMAGE_TOO_LARGE";
  if (file.size === 0 || !IMAGE_TYPES.has(file.type.toLowerCase())) return "IMAGE_INVALID";
  return null;
}

/** A picture request with the bearer token; a refusal as a HubError (a 413 that is no problem
 * document, e.g. a body over the hub's limit, as IMAGE_TOO_LARGE). */
async function fetchWithToken(
  path: string,
  init: Pick<RawRequestOptions, "method" | "headers" | "body"> = {},
): Promise<Response> {
  try {
    return await fetchRaw(path, { ...init, token: currentToken(), httpMessage: (status) => `HTTP ${status}` });
  } catch (thrown) {
    if (thrown instanceof HubError && thrown.code === "HTTP_413") {
      throw new HubError("IMAGE_TOO_LARGE", "image too large", { status: 413 });
    }
    throw thrown;
  }
}

/** `POST /api/v1/rtc/sessions/{id}/images`: the picture as the body, with its type. */
export async function postImage(sessionId: string, file: Blob): Promise<ChatMessage> {
  const response = await fetchWithToken(`${BASE}/sessions/${seg(sessionId)}/images`, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": file.type || "application/octet-stream" },
    body: file,
  });
  const answer = (await response.json()) as { message: ChatMessage };
  return answer.message;
}

/** `GET /api/v1/rtc/images/{id}` needs the bearer token: fetched as a blob (an <img src> cannot
 * send it); answers an object URL. */
export async function fetchImage(imageId: string): Promise<string> {
  const response = await fetchWithToken(`${BASE}/images/${seg(imageId)}`);
  return URL.createObjectURL(await response.blob());
}
