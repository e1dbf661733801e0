// Our port of the Socket.IO protocol v5 compliance suite, run against the hub by
// tests/e2e/test_protocol_suites.py (node:test; helpers in harness.mjs).
//
// Upstream: github.com/socketio/socket.io-protocol, test-suite/test-suite.js at
// 4f633dd6a4445492d57af3b27ddd2d336014f1f1. Read, not copied. Every upstream case has a test
// of the same name, in the same describe blocks. Where the hub differs from the reference
// server by design, the case checks the hub's behaviour instead:
//
// - WebSocket only: the "HTTP long-polling" and "upgrade" cases assert the refusal (HTTP 400).
// - A token is required: CONNECT carries {"token": …} (an admin token from the hub fixture);
//   the reference server echoes the CONNECT payload as an "auth" event, the hub does not.
// - One namespace, "/": CONNECT to "/custom" is answered CONNECT_ERROR INVALID_NAMESPACE.
// - Commands are events with one JSON object and an ack; the reference server's "message" and
//   "message-with-ack" handlers are two test-only commands the pytest file registers:
//   `test.message {args}` emits "message-back" {args} to the sender, `test.echo {value}` acks
//   {"ok": true, "data": {value}}. Binary attachments are reassembled, then refused as not JSON.
//
// Upstream case -> what it checks here:
//   Engine.IO protocol / handshake, heartbeat, close, upgrade     as in engineio_suite.mjs
//     (this suite's copy: the hub's own open/ping/close; long-polling and upgrades refused;
//     PUT is answered 405 Method Not Allowed where the reference server says 400)
//   connect / should allow connection to the main namespace       40{token} -> 40{sid}
//   connect / ... to the main namespace with a payload            the payload is the auth:
//     40 -> UNAUTHENTICATED, 40{"token":"123"} -> TOKEN_INVALID, 40{token,extra} -> 40{sid}
//   connect / ... to a custom namespace (with a payload)          44/custom,{… INVALID_NAMESPACE}
//   connect / should disallow connection to an unknown namespace  44/random,{… INVALID_NAMESPACE}
//   connect / should disallow connection with an invalid handshake  as upstream (closed)
//   connect / should close the connection if no handshake is received  closed by the connect
//     timeout although every ping is answered (stricter than upstream, where pings go unanswered)
//   disconnect / should disconnect from the main namespace        as upstream (next packet: ping)
//   disconnect / should connect then disconnect from a custom namespace  /custom refused, then
//     "message" -> "message-back" on "/"
//   message / should send a plain-text packet                     test.message -> message-back
//   message / should send a packet with binary attachments        both frames taken as
//     attachments (the next ack is the next packet); not run: not JSON
//   message / should send a plain-text packet with an ack         test.echo -> 43<id>[{ok, data}]
//   message / ... with binary attachments and an ack              43<id>[{… INVALID_PAYLOAD}]
//   message / should close the connection upon invalid format (3 cases)  as upstream (closed)
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  MAX_PAYLOAD,
  NORMAL,
  PATH,
  PING_INTERVAL,
  PING_TIMEOUT,
  POLICY_VIOLATION,
  POLLING,
  PROTOCOL_ERROR,
  TIMEOUT,
  TOKEN,
  HUB_URL,
  WS_URL,
  assertPollingRefused,
  assertUpgradeRefused,
  closeAll,
  connectError,
  engineSession,
  placeholder,
  socketSession,
  upgradeStatus,
} from "./harness.mjs";

afterEach(closeAll);

/** The parsed payload of `42[...]` (EVENT) or `43<id>[...]` (ACK). */
function payload(packet, prefix) {
  assert.ok(packet.startsWith(prefix), packet);
  return JSON.parse(packet.substring(prefix.length));
}

describe("Engine.IO protocol", () => {
  describe("handshake", () => {
    describe("HTTP long-polling", () => {
      it("should successfully open a session", TIMEOUT, async () => {
        await assertPollingRefused();
      });

      it("should fail with an invalid 'EIO' query parameter", TIMEOUT, async () => {
        assert.equal((await fetch(`${HUB_URL}${PATH}?transport=polling`)).status, 400);
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=abc&transport=polling`)).status, 400);
      });

      it("should fail with an invalid 'transport' query parameter", TIMEOUT, async () => {
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=4`)).status, 400);
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=4&transport=abc`)).status, 400);
      });

      it("should fail with an invalid request method", TIMEOUT, async () => {
        assert.equal((await fetch(POLLING, { method: "post" })).status, 400);
        // No route takes PUT: 405 Method Not Allowed (the reference server says 400).
        assert.equal((await fetch(POLLING, { method: "put" })).status, 405);
      });
    });

    describe("WebSocket", () => {
      it("should successfully open a session", TIMEOUT, async () => {
        const { open } = await engineSession();
        assert.deepEqual(Object.keys(open).sort(), [
          "maxPayload",
          "pingInterval",
          "pingTimeout",
          "sid",
          "upgrades",
        ]);
        assert.equal(typeof open.sid, "string");
        assert.deepEqual(open.upgrades, []);
        assert.equal(open.pingInterval, PING_INTERVAL);
        assert.equal(open.pingTimeout, PING_TIMEOUT);
        assert.equal(open.maxPayload, MAX_PAYLOAD);
      });

      it("should fail with an invalid 'EIO' query parameter", TIMEOUT, async () => {
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?transport=websocket`), 400);
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=abc&transport=websocket`), 400);
      });

      it("should fail with an invalid 'transport' query parameter", TIMEOUT, async () => {
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=4`), 400);
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=4&transport=abc`), 400);
      });
    });
  });

  describe("heartbeat", () => {
    describe("HTTP long-polling", () => {
      it("should send ping/pong packets", TIMEOUT, async () => {
        await assertPollingRefused("3");
      });

      it("should close the session upon ping timeout", TIMEOUT, async () => {
        await assertPollingRefused();
      });
    });

    describe("WebSocket", () => {
      it("should send ping/pong packets", TIMEOUT, async () => {
        const peer = await socketSession();
        for (let i = 0; i < 3; i++) {
          assert.equal(await peer.next(), "2");
          peer.send("3");
        }
      });

      it("should close the session upon ping timeout", TIMEOUT, async () => {
        const peer = await socketSession();
        const { seen } = await peer.closed({ pong: false });
        assert.deepEqual(seen, ["2"]);
      });
    });
  });

  describe("close", () => {
    describe("HTTP long-polling", () => {
      it("should forcefully close the session", TIMEOUT, async () => {
        await assertPollingRefused("1");
      });
    });

    describe("WebSocket", () => {
      it("should forcefully close the session", TIMEOUT, async () => {
        const { peer } = await engineSession();
        peer.send("1");
        assert.equal((await peer.closed()).code, NORMAL);
      });
    });
  });

  describe("upgrade", () => {
    it("should successfully upgrade from HTTP long-polling to WebSocket", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });

    it("should ignore HTTP requests with same sid after upgrade", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });

    it("should ignore WebSocket connection with same sid after upgrade", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });
  });
});

describe("Socket.IO protocol", () => {
  describe("connect", () => {
    it("should allow connection to the main namespace", TIMEOUT, async () => {
      const { peer } = await engineSession();
      peer.send(`40${JSON.stringify({ token: TOKEN })}`);
      const data = await peer.packet();
      assert.ok(data.startsWith("40"), data);
      const handshake = JSON.parse(data.substring(2));
      assert.deepEqual(Object.keys(handshake), ["sid"]);
      assert.equal(typeof handshake.sid, "string");
    });

    it("should allow connection to the main namespace with a payload", TIMEOUT, async () => {
      const refusals = [];
      for (const packet of ["40", '40{"token":"123"}']) {
        const { peer } = await engineSession();
        peer.send(packet);
        refusals.push(connectError(await peer.packet()).data.code);
      }
      assert.deepEqual(refusals, ["UNAUTHENTICATED", "TOKEN_INVALID"]);
      await socketSession({ token: TOKEN, extra: "123" });
    });

    it("should allow connection to a custom namespace", TIMEOUT, async () => {
      const { peer } = await engineSession();
      peer.send("40/custom,");
      const refusal = connectError(await peer.packet(), "/custom,");
      assert.equal(refusal.data.code, "INVALID_NAMESPACE");
    });

    it("should allow connection to a custom namespace with a payload", TIMEOUT, async () => {
      const { peer } = await engineSession();
      peer.send(`40/custom,${JSON.stringify({ token: TOKEN })}`);
      const refusal = connectError(await peer.packet(), "/custom,");
      assert.equal(refusal.data.code, "INVALID_NAMESPACE");
    });

    it("should disallow connection to an unknown namespace", TIMEOUT, async () => {
      const { peer } = await engineSession();
      peer.send("40/random");
      const refusal = connectError(await peer.packet(), "/random,");
      assert.equal(refusal.data.code, "INVALID_NAMESPACE");
    });

    it("should disallow connection with an invalid handshake", TIMEOUT, async () => {
      const { peer } = await engineSession();
      peer.send("4abc");
      assert.equal((await peer.closed()).code, PROTOCOL_ERROR);
    });

    it("should close the connection if no handshake is received", TIMEOUT, async () => {
      const { peer } = await engineSession();
      const { code, seen } = await peer.closed({ pong: true });
      assert.equal(code, POLICY_VIOLATION);
      assert.ok(seen.includes("2"), "pings came and were answered");
    });
  });

  describe("disconnect", () => {
    it("should disconnect from the main namespace", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send("41");
      assert.equal(await peer.next(), "2"); // nothing but the next ping: the session stays
    });

    it("should connect then disconnect from a custom namespace", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send("40/custom");
      connectError(await peer.packet(), "/custom,");
      peer.send("41/custom");
      peer.send('42["test.message",{"args":["message to main namespace"]}]');
      assert.deepEqual(payload(await peer.packet(), "42"), [
        "message-back",
        { args: ["message to main namespace"] },
      ]);
    });
  });

  describe("message", () => {
    it("should send a plain-text packet", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send('42["test.message",{"args":[1,"2",{"3":[true]}]}]');
      assert.deepEqual(payload(await peer.packet(), "42"), [
        "message-back",
        { args: [1, "2", { 3: [true] }] },
      ]);
    });

    it("should send a packet with binary attachments", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send(`452-["test.message",{"args":[${placeholder(0)},${placeholder(1)}]}]`);
      peer.send(Uint8Array.from([1, 2, 3]));
      peer.send(Uint8Array.from([4, 5, 6]));
      peer.send('421["test.echo",{"value":"after"}]');
      assert.deepEqual(payload(await peer.packet(), "431"), [
        { ok: true, data: { value: "after" } },
      ]);
    });

    it("should send a plain-text packet with an ack", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send('42456["test.echo",{"value":[1,"2",{"3":[false]}]}]');
      assert.deepEqual(payload(await peer.packet(), "43456"), [
        { ok: true, data: { value: [1, "2", { 3: [false] }] } },
      ]);
    });

    it("should send a packet with binary attachments and an ack", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send(`452-789["test.echo",{"value":[${placeholder(0)},${placeholder(1)}]}]`);
      peer.send(Uint8Array.from([1, 2, 3]));
      peer.send(Uint8Array.from([4, 5, 6]));
      const [answer] = payload(await peer.packet(), "43789");
      assert.equal(answer.ok, false);
      assert.equal(answer.error.code, "INVALID_PAYLOAD");
    });

    it(
      "should close the connection upon invalid format (unknown packet type)",
      TIMEOUT,
      async () => {
        const peer = await socketSession();
        peer.send("4abc");
        assert.equal((await peer.closed()).code, PROTOCOL_ERROR);
      },
    );

    it(
      "should close the connection upon invalid format (invalid payload format)",
      TIMEOUT,
      async () => {
        const peer = await socketSession();
        peer.send("42{}");
        assert.equal((await peer.closed()).code, PROTOCOL_ERROR);
      },
    );

    it("should close the connection upon invalid format (invalid ack id)", TIMEOUT, async () => {
      const peer = await socketSession();
      peer.send('42abc["message-with-ack",1,"2",{"3":[false]}]');
      assert.equal((await peer.closed()).code, PROTOCOL_ERROR);
    });
  });
});
