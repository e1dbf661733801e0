import { describe, expect, it } from "vitest";
import { HubError } from "../src/errors";
import { bearerHeaders, createApi, fetchRaw, loadRecentEvents, problemError } from "../src/rest";

interface Seen {
  url: string;
  init: RequestInit;
}

function fakeFetch(response: () => Response, seen: Seen[]): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input), init: init ?? {} });
    return response();
  };
}

function json(body: unknown, status = 200, type = "application/json"): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
}

describe("createApi", () => {
  it("sends JSON with the bearer token and answers the body", async () => {
    const seen: Seen[] = [];
    const api = createApi({
      token: () => "tok",
      baseUrl: "http://hub",
      fetch: fakeFetch(() => json({ token: "new" }), seen),
    });
    await expect(api("POST", "/api/v1/auth/login", { username: "u" })).resolves.toEqual({ token: "new" });
    const headers = seen[0]!.init.headers as Record<string, string>;
    expect(seen[0]!.url).toBe("http://hub/api/v1/auth/login");
    expect(seen[0]!.init.method).toBe("POST");
    expect(headers.Authorization).toBe("Bearer tok");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(seen[0]!.init.body).toBe('{"username":"u"}');
  });

  it("sends no Authorization header without a token", async () => {
    const seen: Seen[] = [];
    const api = createApi({ token: () => null, fetch: fakeFetch(() => json([]), seen) });
    await api("GET", "/api/v1/halls");
    expect(seen[0]!.init.headers).not.toHaveProperty("Authorization");
    expect(seen[0]!.init.body).toBeUndefined();
  });

  it("throws HubError from a problem+json body", async () => {
    const problem = { type: "x", title: "BAD_CREDENTIALS", status: 401, code: "BAD_CREDENTIALS", detail: "用户名或密码错误", ctx: "c1" };
    const api = createApi({ token: () => null, fetch: fakeFetch(() => json(problem, 401, "application/problem+json"), []) });
    const error = await api("POST", "/api/v1/auth/login", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    const hub = error as HubError;
    expect([hub.code, hub.message, hub.ctx, hub.status]).toEqual(["BAD_CREDENTIALS", "用户名或密码错误", "c1", 401]);
  });

  it("throws HTTP_<status> for a body that is not a problem, and NETWORK when fetch fails", async () => {
    const html = createApi({ token: () => null, fetch: fakeFetch(() => new Response("<h1>502</h1>", { status: 502 }), []) });
    const bad = (await html("GET", "/x").catch((e: unknown) => e)) as HubError;
    expect([bad.code, bad.transient]).toEqual(["HTTP_502", true]);
    const down = createApi({ token: () => null, fetch: async () => { throw new TypeError("Failed to fetch"); } });
    expect(((await down("GET", "/x").catch((e: unknown) => e)) as HubError).code).toBe("NETWORK");
  });

  it("loads a topic's recent events", async () => {
    const seen: Seen[] = [];
    const body = { topic: "citizen:a b", seq: 3, epoch: "e", events: [] };
    const api = createApi({ token: () => "t", fetch: fakeFetch(() => json(body), seen) });
    await expect(loadRecentEvents(api, "citizen:a b", 20)).resolves.toEqual(body);
    expect(seen[0]!.url).toBe("/api/v1/events/citizen%3Aa%20b?limit=20");
  });
});

describe("problemError and fetchRaw", () => {
  it("reads a problem, else answers HTTP_<status> in the caller's words when it has some", async () => {
    const problem = json({ code: "IMAGE_INVALID", detail: "坏图片", details: { max: 5 } }, 400, "application/problem+json");
    const error = await problemError(problem);
    expect([error.code, error.message, error.status, error.details]).toEqual(["IMAGE_INVALID", "坏图片", 400, { max: 5 }]);
    const plain = await problemError(new Response("too big", { status: 413 }), { httpMessage: (s) => `HTTP ${s}` });
    expect([plain.code, plain.message]).toEqual(["HTTP_413", "HTTP 413"]);
    expect((await problemError(new Response("", { status: 500 }))).message).toBe("服务器错误（HTTP 500）");
  });

  it("sends the body as it is with the bearer token, and fails as a HubError", async () => {
    const seen: Seen[] = [];
    const body = new Blob(["x"], { type: "image/png" });
    const response = await fetchRaw("/up", {
      token: "tok",
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body,
      fetch: fakeFetch(() => json({ ok: true }), seen),
    });
    await expect(response.json()).resolves.toEqual({ ok: true });
    expect(seen[0]!.init).toEqual({ method: "POST", headers: { Authorization: "Bearer tok", "Content-Type": "image/png" }, body });
    const refused = fetchRaw("/x", { token: null, fetch: fakeFetch(() => json({ code: "FORBIDDEN" }, 403), []) });
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    const down = fetchRaw("/x", { token: null, networkMessage: "网络错误", fetch: async () => { throw new TypeError("x"); } });
    await expect(down).rejects.toMatchObject({ code: "NETWORK", message: "网络错误" });
    expect(bearerHeaders(null)).toEqual({});
  });
});
