"""The /ws protocol of `tars serve` (docs/api.md#websocket): liveness, subscriptions, pushes, auth."""

import time
import unittest

from wstest import (CHANNEL, Closed, H, HandshakeError, WsTestCase, connect, next_push, post_eval,
                    subscribe)


class Liveness(WsTestCase):
    server_args = ["--ws-heartbeat", "1s", "--ws-metrics-interval", "1s"]

    def test_raw_ping_is_answered_first(self):
        ws = connect(self.server)
        ws.send_text("ping")
        self.assertEqual(ws.recv(2.0), "pong")
        ws.close()

    def test_json_ping_is_answered_first(self):
        ws = connect(self.server, path="/ws/live")
        t0 = time.time() * 1000
        ws.send_json({"type": "ping"})
        m = ws.recv_json(2.0)
        self.assertType(m, "pong")
        self.assertIsInstance(m.get("timestamp"), int)
        self.assertLess(abs(m["timestamp"] - t0), 5000, "timestamp is ms since the epoch")
        ws.close()

    def test_protocol_ping_frame_is_answered(self):
        ws = connect(self.server)
        ws.send_frame(0x9, b"are-you-there")
        fin, op, payload = ws.recv_frame(2.0)
        self.assertEqual((fin, op, payload), (True, 0xA, b"are-you-there"))
        ws.close()

    def test_heartbeat_and_nothing_else_before_subscribing(self):
        ws = connect(self.server)
        t0 = time.monotonic()
        first = ws.recv_json(3.0)
        took = time.monotonic() - t0
        self.assertType(first, "heartbeat")
        self.assertLess(took, 2.5, "heartbeat every 1 s (30 s by default)")
        post_eval(self.server)  # published on a channel this client did not subscribe to
        for _ in range(2):
            self.assertType(ws.recv_json(3.0), "heartbeat")
        ws.close()

    def test_plain_get_is_refused(self):
        r = self.server.get("/ws")
        self.assertError(r, 400, "bad_request")

    def test_anonymous_cannot_subscribe_under_optional_auth(self):
        ws = connect(self.server)
        ws.send_json({"type": "subscribe", "channel": CHANNEL})
        m = next_push(ws)
        self.assertType(m, "error")
        ws.send_text("ping")
        self.assertEqual(ws.recv(2.0), "pong", "the connection stays open after an error")
        ws.close()


class Feed(WsTestCase):
    server_args = ["--ws-metrics-interval", "1s"]

    def test_subscribe_ack_and_push(self):
        ws = connect(self.server, self.server.token("viewer"))
        ack = subscribe(ws)
        self.assertType(ack, "subscribed", channel=CHANNEL)
        self.assertIsInstance(ack.get("seq"), int)
        before = time.time() * 1000
        ev = post_eval(self.server, agent="agent-push")
        m = next_push(ws)
        self.assertType(m, "message", channel=CHANNEL, seq=ack["seq"] + 1)
        self.assertEqual(m["payload"]["id"], ev["id"])
        self.assertEqual(m["payload"]["action"], "created")
        self.assertEqual(m["payload"]["agent_id"], "agent-push")
        self.assertGreaterEqual(m["timestamp"], before - 1000)
        self.assertLessEqual(m["timestamp"], time.time() * 1000 + 1000)
        # update and delete are pushed too, in order
        tok = self.server.token("developer")
        r = self.server.req("PUT", "/api/v1/evaluations/" + ev["id"], json_body={
            "agent_id": "agent-push", "region": "us-east-1", "status": "error"}, token=tok)
        self.assertStatus(r, 200)
        r = self.server.req("DELETE", "/api/v1/evaluations/" + ev["id"], token=tok)
        self.assertStatus(r, 200)
        up, de = next_push(ws), next_push(ws)
        self.assertEqual((up["seq"], up["payload"]["action"], up["payload"]["status"]),
                         (ack["seq"] + 2, "updated", "error"))
        self.assertEqual((de["seq"], de["payload"]["action"]), (ack["seq"] + 3, "deleted"))
        ws.send_json({"type": "unsubscribe", "channel": CHANNEL})
        self.assertType(next_push(ws), "unsubscribed", channel=CHANNEL)
        post_eval(self.server)
        ws.send_json({"type": "ping"})
        self.assertType(next_push(ws), "pong")  # nothing pushed after unsubscribing
        ws.close()

    def test_errors_keep_the_connection(self):
        ws = connect(self.server, self.server.token("viewer"))
        for bad in ['{"type":"subscribe","channel":"nope"}', "{not json", "[1,2]",
                    '{"type":"launch"}', '{"type":"subscribe","channel":"%s","since_seq":-1}' % CHANNEL]:
            ws.send_text(bad)
            m = next_push(ws)
            self.assertType(m, "error")
            self.assertTrue(m.get("message"), m)
        ws.send_text("ping")
        self.assertEqual(ws.recv(2.0), "pong")
        ws.close()

    def test_message_nested_too_deep_is_refused(self):
        # Client messages go through lib/json's nesting bound (64), not jansson's own (2048).
        ws = connect(self.server, self.server.token("viewer"))
        ws.send_text('{"type":"ping","x":%s}' % ("[" * 63 + "]" * 63))
        self.assertType(next_push(ws), "pong")
        ws.send_text('{"type":"ping","x":%s}' % ("[" * 64 + "]" * 64))
        m = next_push(ws)
        self.assertType(m, "error")
        self.assertEqual(m.get("message"), "malformed JSON", m)
        ws.close()

    def test_token_in_query_and_subprotocol(self):
        tok = self.server.token("viewer")
        ws = connect(self.server, query="token=" + tok)
        self.assertType(subscribe(ws), "subscribed")
        ws.close()
        ws = connect(self.server, protocols=["bearer", tok])
        self.assertEqual(ws.headers.get("sec-websocket-protocol"), "bearer")
        self.assertType(subscribe(ws), "subscribed")
        ws.close()

    def test_api_key_is_accepted(self):
        r = self.server.post("/api/v1/admin/api-keys", {"service_name": "ws-test", "role": "viewer"},
                             token=self.server.token("admin"))
        self.assertStatus(r, 201)
        key = r.json()["api_key"]
        H.register_secret(key)
        ws = connect(self.server, key)
        self.assertType(subscribe(ws), "subscribed")
        ws.close()

    def test_bad_token_closes_1008(self):
        for kw in ({"headers": {"Authorization": "Bearer not.a.token"}},
                   {"query": "token=forged"},
                   {"protocols": ["bearer", "eyJhbGciOiJub25lIn0.e30."]},
                   {"headers": {"Authorization": "Basic dXNlcjpwdw=="}}):
            ws = connect(self.server, **kw)
            self.assertEqual(ws.wait_close(5.0), 1008, "credentials %s" % list(kw))
        refresh = self.server.tokens("viewer")["refresh_token"]
        ws = connect(self.server, refresh)
        self.assertEqual(ws.wait_close(5.0), 1008, "a refresh token is not an access token")

    def test_metrics_channel(self):
        ws = connect(self.server, self.server.token("viewer"))
        self.assertType(subscribe(ws, "metrics"), "subscribed", channel="metrics")
        m = next_push(ws, 3.0)
        self.assertType(m, "message", channel="metrics")
        self.assertGreaterEqual(m["payload"]["websocket_connections"], 1)
        self.assertGreater(m["payload"]["http_requests_total"], 0)
        self.assertIn("websocket_messages_sent_total", m["payload"])
        ws.close()

    def test_agent_status_channel_exists(self):
        ws = connect(self.server, self.server.token("viewer"))
        self.assertType(subscribe(ws, "agent.status"), "subscribed", channel="agent.status")
        ws.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
