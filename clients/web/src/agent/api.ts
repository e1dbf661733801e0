/** The video customer service REST resources (docs/rtc.md), and the two that are not JSON:
 * a chat picture sent as the request body, and files (pictures, recordings) fetched with the
 * bearer token. */
import { fetchRaw, loadRecentEvents, type RawRequestOptions, type RecentEvents } from "@hallhub/client";
import { api, getToken } from "../hub";
import { saveFile } from "../staff/download";
import type { ChatMessage, Overview, RtcSession, RtcTopic, StatsRow } from "./types";

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

export function listTopics(): Promise<RtcTopic[]> {
  return api<RtcTopic[]>("GET", "/api/v1/rtc/topics");
}

interface IceServersAnswer {
  ice_servers: { urls: string | string[]; username?: string; credential?: string }[];
}

/** STUN/TURN for a peer connection (empty on an intranet: host candidates suffice). */
export async function iceServers(): Promise<RTCIceServer[]> {
  const answer = await api<IceServersAnswer>("GET", "/api/v1/rtc/ice-servers");
  return answer.ice_servers.map((server) => {
    const out: RTCIceServer = { urls: server.urls };
    if (server.username) out.username = server.username;
    if (server.credential) out.credential = server.credential;
    return out;
  });
}

export function getSession(id: string): Promise<RtcSession> {
  return api<RtcSession>("GET", `/api/v1/rtc/sessions/${encodeURIComponent(id)}`);
}

export function loadOverview(): Promise<Overview> {
  return api<Overview>("GET", "/api/v1/rtc/overview");
}

export interface SessionsQuery {
  state?: string;
  topic?: string;
  agent_id?: string;
  limit?: number;
  skip?: number;
}

/** The query string of `GET /api/v1/rtc/sessions` (empty filters left out). */
export function sessionsPath(query: SessionsQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return `/api/v1/rtc/sessions${text ? `?${text}` : ""}`;
}

export async function searchSessions(query: SessionsQuery): Promise<RtcSession[]> {
  const answer = await api<{ sessions: RtcSession[] }>("GET", sessionsPath(query));
  return answer.sessions;
}

export async function loadStats(by: "topic" | "agent" | "all", days: number): Promise<StatsRow[]> {
  const answer = await api<{ rows: StatsRow[] }>("GET", `/api/v1/rtc/stats?by=${by}&days=${days}`);
  return answer.rows;
}

/** The position (seq, epoch) of a topic now, and its latest events: a live topic's snapshot. */
export function topicPosition(topic: string, limit = 1): Promise<RecentEvents> {
  return loadRecentEvents(api, topic, limit);
}

/** The bearer token with each request; this desk's words for a failed one. */
const raw = (): Pick<RawRequestOptions, "token" | "networkMessage" | "httpMessage"> => ({
  token: getToken(),
  networkMessage: "网络错误",
  httpMessage: (status) => `HTTP ${status}`,
});

/** `POST /api/v1/rtc/sessions/{id}/images` with the picture as the body → the chat message. */
export async function postImage(sessionId: string, file: Blob): Promise<ChatMessage> {
  const response = await fetchRaw(`/api/v1/rtc/sessions/${encodeURIComponent(sessionId)}/images`, {
    ...raw(),
    method: "POST",
    headers: { "Content-Type": file.type || "application/octet-stream", Accept: "application/json" },
    body: file,
  });
  const answer = (await response.json()) as { message: ChatMessage };
  return answer.message;
}

/** A file the hub serves only with the bearer token (a chat picture, a recording). */
export async function fetchBlob(path: string): Promise<Blob> {
  const response = await fetchRaw(path, raw());
  return response.blob();
}

const pictures = new Map<string, Promise<string>>();

/** A chat picture as an object URL (fetched once per page). */
export function pictureUrl(imageId: string): Promise<string> {
  let found = pictures.get(imageId);
  if (found === undefined) {
    found = fetchBlob(`/api/v1/rtc/images/${encodeURIComponent(imageId)}`).then((blob) => URL.createObjectURL(blob));
    found.catch(() => pictures.delete(imageId));
    pictures.set(imageId, found);
  }
  return found;
}

/** Download a recording: fetched with the token, saved from a blob. */
export async function downloadRecording(sessionId: string): Promise<void> {
  const blob = await fetchBlob(`/api/v1/rtc/sessions/${encodeURIComponent(sessionId)}/recording`);
  saveFile(blob, `${sessionId}.mkv`, 60_000);
}
