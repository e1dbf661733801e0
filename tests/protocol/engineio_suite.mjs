// Our port of the Engine.IO protocol v4 compliance suite, run against the hub by
// tests/e2e/test_protocol_suites.py (node:test; helpers in harness.mjs).
//
// Upstream: github.com/socketio/engine.io-protocol, test-suite/test-suite.js at
// f21de7b00ed09b3bbad2807db718ea5d6bc36aba. Read, not copied. Every upstream case has a test
// of the same name, in the same describe blocks; the hub differs from the reference server in
// three ways, so those cases check the hub's behaviour instead:
//
// - The path is /socket.io/ (the hub serves Engine.IO under Socket.IO), not /engine.io/.
// - HTTP long-polling is refused by design (WebSocket only): every "HTTP long-polling" case and
//   every "upgrade" case asserts the refusal (HTTP 400; no session to poll or to upgrade).
// - The hub's Engine.IO messages carry Socket.IO packets; there is no echo server. "sends and
//   receives a plain text packet" sends a Socket.IO CONNECT with the token and gets the
//   CONNECT answer; "sends and receives a binary packet" sends the binary frame as the announced
//   attachment of a BINARY_EVENT and gets its ack (refusing the bytes: commands are JSON), and
//   checks that a binary frame nobody announced closes the session. The heartbeat cases connect
//   to the namespace first, so that the connect timeout does not end the session before pings.
//
// Upstream case -> what it checks here:
//   handshake / HTTP long-polling / successfully opens a session        refused: 400
//   handshake / HTTP long-polling / fails with an invalid 'EIO' ...     400 (as upstream)
//   handshake / HTTP long-polling / fails with an invalid 'transport' . 400 (as upstream)
//   handshake / HTTP long-polling / fails with an invalid request method POST 400, PUT 405
//   handshake / WebSocket / successfully opens a session                as upstream, upgrades []
//   handshake / WebSocket / fails with an invalid 'EIO' ...             upgrade refused: 400
//   handshake / WebSocket / fails with an invalid 'transport' ...       upgrade refused: 400
//   message / HTTP long-polling / (5 cases)                             refused: 400
//   message / WebSocket / sends and receives a plain text packet        CONNECT -> CONNECT
//   message / WebSocket / sends and receives a binary packet            attachment -> ack
//   message / WebSocket / closes the session upon invalid packet format as upstream
//   heartbeat / HTTP long-polling / (2 cases)                           refused: 400
//   heartbeat / WebSocket / sends ping/pong packets                     as upstream
//   heartbeat / WebSocket / closes the session upon ping timeout        as upstream
//   close / HTTP long-polling / forcefully closes the session           refused: 400
//   close / WebSocket / forcefully closes the session                   as upstream (code 1000)
//   upgrade / (3 cases)                                                 refused: 400
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  MAX_PAYLOAD,
  NORMAL,
  PATH,
  PING_INTERVAL,
  PING_TIMEOUT,
  POLLING,
  PROTOCOL_ERROR,
  TIMEOUT,
  TOKEN,
  HUB_URL,
  WS_URL,
  assertPollingRefused,
  assertUpgradeRefused,
  closeAll,
  engineSession,
  placeholder,
  socketSession,
  upgradeStatus,
} from "./harness.mjs";

afterEach(closeAll);

describe("Engine.IO protocol", () => {
  describe("handshake", () => {
    describe("HTTP long-polling", () => {
      it("successfully opens a session", TIMEOUT, async () => {
        await assertPollingRefused();
      });

      it("fails with an invalid 'EIO' query parameter", TIMEOUT, async () => {
        assert.equal((await fetch(`${HUB_URL}${PATH}?transport=polling`)).status, 400);
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=abc&transport=polling`)).status, 400);
      });

      it("fails with an invalid 'transport' query parameter", TIMEOUT, async () => {
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=4`)).status, 400);
        assert.equal((await fetch(`${HUB_URL}${PATH}?EIO=4&transport=abc`)).status, 400);
      });

      it("fails with an invalid request method", TIMEOUT, async () => {
        assert.equal((await fetch(POLLING, { method: "post" })).status, 400);
        // No route takes PUT: 405 Method Not Allowed (the reference server says 400).
        assert.equal((await fetch(POLLING, { method: "put" })).status, 405);
      });
    });

    describe("WebSocket", () => {
      it("successfully opens a session", TIMEOUT, async () => {
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

      it("fails with an invalid 'EIO' query parameter", TIMEOUT, async () => {
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?transport=websocket`), 400);
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=abc&transport=websocket`), 400);
      });

      it("fails with an invalid 'transport' query parameter", TIMEOUT, async () => {
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=4`), 400);
        assert.equal(await upgradeStatus(`${WS_URL}${PATH}?EIO=4&transport=abc`), 400);
      });
    });
  });

  describe("message", () => {
    describe("HTTP long-polling", () => {
      it("sends and receives a payload containing one plain text packet", TIMEOUT, async () => {
        await assertPollingRefused("4hello");
      });

      it(
        "sends and receives a payload containing several plain text packets",
        TIMEOUT,
        async () => {
          await assertPollingRefused("4test1\x1e4test2\x1e4test3");
        },
      );

      it(
        "sends and receives a payload containing plain text and binary packets",
        TIMEOUT,
        async () => {
          await assertPollingRefused("4hello\x1ebAQIDBA==");
        },
      );

      it("closes the session upon invalid packet format", TIMEOUT, async () => {
        await assertPollingRefused("abc");
      });

      it("closes the session upon duplicate poll requests", TIMEOUT, async () => {
        await assertPollingRefused();
        const polls = await Promise.all([fetch(POLLING), fetch(`${POLLING}&t=burst`)]);
        assert.deepEqual(
          polls.map((p) => p.status),
          [400, 400],
        );
      });
    });

    describe("WebSocket", () => {
      it("sends and receives a plain text packet", TIMEOUT, async () => {
        const { peer } = await engineSession();
        peer.send(`40${JSON.stringify({ token: TOKEN })}`);
        const answer = await peer.packet();
        assert.ok(answer.startsWith("40{"), answer);
        assert.deepEqual(Object.keys(JSON.parse(answer.substring(2))), ["sid"]);
      });

      it("sends and receives a binary packet", TIMEOUT, async () => {
        const peer = await socketSession();
        peer.send(`451-1["test.echo",{"value":${placeholder(0)}}]`);
        peer.send(Uint8Array.from([1, 2, 3, 4]));
        const ack = await peer.packet();
        assert.ok(ack.startsWith("431["), ack);
        assert.equal(JSON.parse(ack.substring(3))[0].error.code, "INVALID_PAYLOAD");

        const stray = await socketSession();
        stray.send(Uint8Array.from([1, 2, 3, 4])); // announced by no packet
        assert.equal((await stray.closed({ pong: true })).code, PROTOCOL_ERROR);
      });

      it("closes the session upon invalid packet format", TIMEOUT, async () => {
        const { peer } = await engineSession();
        peer.send("abc");
        assert.equal((await peer.closed()).code, PROTOCOL_ERROR);
      });
    });
  });

  describe("heartbeat", () => {
    describe("HTTP long-polling", () => {
      it("sends ping/pong packets", TIMEOUT, async () => {
        await assertPollingRefused("3");
      });

      it("closes the session upon ping timeout", TIMEOUT, async () => {
        await assertPollingRefused();
      });
    });

    describe("WebSocket", () => {
      it("sends ping/pong packets", TIMEOUT, async () => {
        const peer = await socketSession();
        for (let i = 0; i < 3; i++) {
          assert.equal(await peer.next(), "2");
          peer.send("3");
        }
      });

      it("closes the session upon ping timeout", TIMEOUT, async () => {
        const peer = await socketSession();
        const { seen } = await peer.closed({ pong: false });
        assert.deepEqual(seen, ["2"]); // one ping, unanswered: dropped
      });
    });
  });

  describe("close", () => {
    describe("HTTP long-polling", () => {
      it("forcefully closes the session", TIMEOUT, async () => {
        await assertPollingRefused("1");
      });
    });

    describe("WebSocket", () => {
      it("forcefully closes the session", TIMEOUT, async () => {
        const { peer } = await engineSession();
        peer.send("1");
        assert.equal((await peer.closed()).code, NORMAL);
      });
    });
  });

  describe("upgrade", () => {
    it("successfully upgrades from HTTP long-polling to WebSocket", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });

    it("ignores HTTP requests with same sid after upgrade", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });

    it("ignores WebSocket connection with same sid after upgrade", TIMEOUT, async () => {
      await assertUpgradeRefused();
    });
  });
});
