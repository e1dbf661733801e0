// Shared by our ports of the official protocol test suites (engineio_suite.mjs,
// socketio_suite.mjs): the hub to test, raw WebSocket peers, and the checks for what the hub
// refuses by design (HTTP long-polling, transport upgrades, namespaces other than "/").
//
// The hub is told by tests/e2e/test_protocol_suites.py, which starts it:
//   HALLHUB_SUITE_URL            http://127.0.0.1:<port>
//   HALLHUB_SUITE_TOKEN          an admin token (auth.token of the Socket.IO CONNECT packet)
//   HALLHUB_SUITE_PING_INTERVAL  HALLHUB_SUITE_PING_TIMEOUT  (ms, as the hub was configured)
import assert from "node:assert/strict";
import { createRequire } from "node:module";

// `ws` as installed by `npm ci` in clients/ (Node 20 has no WebSocket client of its own).
const require = createRequire(new URL("../../clients/package.json", import.meta.url));
const { WebSocket } = require("ws");

function setting(name) {
  const value = process.env[`HALLHUB_SUITE_${name}`];
  if (!value) throw new Error(`HALLHUB_SUITE_${name} is not set (run through pytest)`);
  return value;
}

export const HUB_URL = setting("URL");
export const WS_URL = HUB_URL.replace(/^http/, "ws");
export const TOKEN = setting("TOKEN");
export const PING_INTERVAL = Number(setting("PING_INTERVAL"));
export const PING_TIMEOUT = Number(setting("PING_TIMEOUT"));
export const MAX_PAYLOAD = 1_000_000;
export const PATH = "/socket.io/"; // Engine.IO under Socket.IO's path, as the hub serves it
export const WS_SESSION = `${WS_URL}${PATH}?EIO=4&transport=websocket`;
export const POLLING = `${HUB_URL}${PATH}?EIO=4&transport=polling`;
export const TIMEOUT = { timeout: 8000 }; // per test: a bound on waiting, not a speed

// WebSocket close codes the hub uses.
export const NORMAL = 1000;
export const PROTOCOL_ERROR = 1002;
export const POLICY_VIOLATION = 1008; // the connect or attachment timeout

const peers = new Set();

/** Close whatever a test left open (call from afterEach). */
export function closeAll() {
  for (const peer of peers) peer.ws.terminate();
  peers.clear();
}

/** A raw WebSocket: what arrives is queued (text as strings, binary as Uint8Array, the close as
 * `{ closed: code }`) and read in order with `next()`. */
export class Peer {
  constructor(url = WS_SESSION) {
    this.ws = new WebSocket(url);
    this.queue = [];
    this.wake = null;
    peers.add(this);
    this.ws.on("message", (data, isBinary) =>
      this.#push(isBinary ? new Uint8Array(data) : data.toString()),
    );
    this.ws.on("close", (code) => this.#push({ closed: code }));
    this.ws.on("error", () => {}); // the close that follows says enough
  }

  #push(item) {
    this.queue.push(item);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async next() {
    while (this.queue.length === 0) await new Promise((resolve) => (this.wake = resolve));
    return this.queue.shift();
  }

  /** The next packet; Engine.IO pings are answered on the way unless `pong` is false. */
  async packet({ pong = true } = {}) {
    for (;;) {
      const item = await this.next();
      if (item?.closed !== undefined) assert.fail(`closed (${item.closed}) instead of a packet`);
      if (item === "2" && pong) {
        this.send("3");
        continue;
      }
      return item;
    }
  }

  /** Until the hub closes the WebSocket: `{ code, seen }` (what came before the close). */
  async closed({ pong = false } = {}) {
    const seen = [];
    for (;;) {
      const item = await this.next();
      if (item?.closed !== undefined) return { code: item.closed, seen };
      seen.push(item);
      if (item === "2" && pong) this.send("3");
    }
  }

  send(data) {
    this.ws.send(data);
  }
}

/** A WebSocket with its Engine.IO handshake read: `{ peer, open }` (the OPEN packet's data). */
export async function engineSession() {
  const peer = new Peer();
  const handshake = await peer.packet();
  assert.equal(typeof handshake, "string");
  assert.ok(handshake.startsWith("0"), handshake);
  return { peer, open: JSON.parse(handshake.substring(1)) };
}

/** An Engine.IO session connected to the Socket.IO namespace "/" with the suite's token. */
export async function socketSession(auth = { token: TOKEN }) {
  const { peer } = await engineSession();
  peer.send(`40${JSON.stringify(auth)}`);
  const connected = await peer.packet();
  assert.ok(connected.startsWith("40{"), connected);
  return peer;
}

/** The parsed CONNECT_ERROR `44<namespace>{...}`, checked to be {message, data: {code}}. */
export function connectError(packet, namespace = "") {
  const prefix = `44${namespace}`;
  assert.ok(packet.startsWith(prefix), packet);
  const refusal = JSON.parse(packet.substring(prefix.length));
  assert.deepEqual(Object.keys(refusal).sort(), ["data", "message"]);
  assert.equal(typeof refusal.message, "string");
  assert.ok(refusal.message.length > 0);
  assert.deepEqual(Object.keys(refusal.data), ["code"]);
  return refusal;
}

/** The HTTP status with which the hub answers a WebSocket upgrade it refuses. */
export function upgradeStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (request, response) => {
      resolve(response.statusCode);
      response.resume();
      request.destroy();
    });
    ws.on("open", () => {
      ws.terminate();
      reject(new Error(`${url} was upgraded`));
    });
    ws.on("error", () => {});
  });
}

/** HTTP long-polling is refused by design: the handshake GET answers 400 (WebSocket only),
 * and so does any request of a polling session (there is none to find). `body` is what the
 * upstream case would POST. */
export async function assertPollingRefused(body = "4hello") {
  const handshake = await fetch(POLLING);
  assert.equal(handshake.status, 400);
  assert.match(await handshake.text(), /WebSocket transport only/);
  const sid = "not-a-polling-session";
  const poll = await fetch(`${POLLING}&sid=${sid}`);
  assert.equal(poll.status, 400);
  await poll.body?.cancel();
  const push = await fetch(`${POLLING}&sid=${sid}`, { method: "post", body });
  assert.equal(push.status, 400);
  await push.body?.cancel();
}

/** Upgrades are refused by design: no polling session to start from, and a WebSocket naming
 * a session (`sid`) is refused. */
export async function assertUpgradeRefused() {
  const handshake = await fetch(POLLING);
  assert.equal(handshake.status, 400);
  await handshake.body?.cancel();
  assert.equal(await upgradeStatus(`${WS_SESSION}&sid=some-session`), 400);
}

/** `{ _placeholder: true, num }` as socket.io-parser writes it. */
export const placeholder = (num) => `{"_placeholder":true,"num":${num}}`;
