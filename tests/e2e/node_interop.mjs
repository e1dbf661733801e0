#!/usr/bin/env node
// Proves the official socket.io client (the one the browser apps ship) talks to the hub.
//
//   node tests/e2e/node_interop.mjs <baseUrl> <token> <topic>
//
// Connects (WebSocket only), subscribes to <topic> with an ack and prints one line
// `SUBSCRIBED <ack as JSON>`, then waits for one pushed event and prints `EVENT <envelope as JSON>`.
// Exit codes: 0 an event came; 1 nothing within 20 s; 2 the connection was refused
// (`REFUSED <err.data as JSON>`); 3 the subscribe was answered with an error; 64 bad usage.
import { createRequire } from "node:module";

// socket.io-client as installed by `npm ci` in clients/.
const require = createRequire(new URL("../../clients/package.json", import.meta.url));
const { io } = require("socket.io-client");

const TIMEOUT_MS = 20_000;
const ACK_TIMEOUT_MS = 10_000;

const [baseUrl, token, topic] = process.argv.slice(2);
if (!baseUrl || !token || !topic) {
  console.error("usage: node tests/e2e/node_interop.mjs <baseUrl> <token> <topic>");
  process.exit(64);
}

const socket = io(baseUrl, {
  path: "/socket.io/",
  transports: ["websocket"],
  auth: { token },
  reconnection: false,
});

const timer = setTimeout(() => finish(1, "TIMEOUT no event within 20 s", console.error), TIMEOUT_MS);

function finish(code, line, print = console.log) {
  clearTimeout(timer);
  if (line) print(line);
  socket.close();
  process.exit(code);
}

let subscribed = false;
let early = null; // an event pushed before the subscribe ack is printed after it

function printEvent(envelope) {
  finish(0, `EVENT ${JSON.stringify(envelope)}`);
}

socket.on("event", (envelope) => {
  if (subscribed) printEvent(envelope);
  else early ??= envelope;
});

socket.on("connect_error", (err) => {
  finish(2, `REFUSED ${JSON.stringify(err.data ?? { message: err.message })}`);
});

socket.on("connect", async () => {
  let ack;
  try {
    ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("subscribe", { topic });
  } catch (err) {
    finish(1, `TIMEOUT subscribe was not answered: ${err.message}`, console.error);
    return;
  }
  console.log(`SUBSCRIBED ${JSON.stringify(ack)}`);
  if (!ack || ack.ok !== true) finish(3);
  subscribed = true;
  if (early !== null) printEvent(early);
});
