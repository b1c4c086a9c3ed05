"""Limits of /ws: connection limit (1013), idle timeout (1001), auth modes, slow consumers (4001),
and the 1001 "going away" on SIGTERM."""

import time
import unittest

from wstest import (CHANNEL, Closed, WsTestCase, connect, next_push, post_eval, scrape, subscribe,
                    wait_for)


class ConnectionLimit(WsTestCase):
    server_args = ["--ws-max-connections", "2"]

    def test_third_connection_closes_1013(self):
        a, b = connect(self.server), connect(self.server)
        for ws in (a, b):
            ws.send_text("ping")
            self.assertEqual(ws.recv(2.0), "pong")
        c = connect(self.server)
        self.assertEqual(c.wait_close(5.0), 1013)
        a.close()
        # the freed place can be taken again
        self.assertTrue(wait_for(lambda: scrape(self.server)["tars_websocket_connections"] == 1))
        d = connect(self.server)
        d.send_text("ping")
        self.assertEqual(d.recv(2.0), "pong")
        b.close()
        d.close()
        m = scrape(self.server)
        self.assertGreaterEqual(m['tars_websocket_rejected_total{reason="full"}'], 1)


class IdleTimeout(WsTestCase):
    server_args = ["--ws-idle-timeout", "2s"]

    def test_silent_client_is_closed_1001(self):
        quiet = connect(self.server)
        talker = connect(self.server)
        t0 = time.monotonic()
        for _ in range(4):  # keeps talking past the timeout
            time.sleep(0.7)
            talker.send_text("ping")
            self.assertEqual(talker.recv(2.0), "pong")
        code = quiet.wait_close(5.0)
        took = time.monotonic() - t0
        self.assertEqual(code, 1001)
        self.assertGreater(took, 1.5)
        self.assertLess(took, 4.5)
        talker.send_text("ping")
        self.assertEqual(talker.recv(2.0), "pong", "a talking client is not idle")
        talker.close()
        self.assertTrue(wait_for(lambda: scrape(self.server).get(
            'websocket_disconnections_total{reason="idle_timeout"}', 0) >= 1))


class AuthRequired(WsTestCase):
    server_args = ["--ws-auth", "required"]

    def test_no_token_closes_1008(self):
        self.assertEqual(connect(self.server).wait_close(5.0), 1008)

    def test_token_connects(self):
        ws = connect(self.server, self.server.token("viewer"))
        self.assertEqual(subscribe(ws)["type"], "subscribed")
        ws.close()


class AuthOff(WsTestCase):
    server_args = ["--ws-auth", "off"]

    def test_anonymous_subscribes(self):
        ws = connect(self.server)
        self.assertEqual(subscribe(ws)["type"], "subscribed")
        ev = post_eval(self.server)
        self.assertEqual(next_push(ws)["payload"]["id"], ev["id"])
        ws.close()


class SlowConsumer(WsTestCase):
    server_args = ["--ws-send-queue", "8", "--threads", "2"]
    POSTS = 60

    def test_slow_consumer_is_closed_and_others_keep_receiving(self):
        tok = self.server.token("viewer")
        slow = connect(self.server, tok, rcvbuf=4096)
        fast = connect(self.server, tok)
        start = subscribe(fast)["seq"]
        subscribe(slow)
        details = {"blob": "x" * 60000}  # ~60 KB per message fills the socket buffers
        got = []
        for _ in range(self.POSTS):
            post_eval(self.server, details=details)
            got.append(next_push(fast, 10.0)["seq"])  # the healthy client reads as it goes
        self.assertEqual(got, list(range(start + 1, start + self.POSTS + 1)))
        self.assertTrue(wait_for(lambda: scrape(self.server)["tars_websocket_slow_consumers_total"] >= 1,
                                 5.0), "no slow consumer was counted")
        # the slow client finds its stream cut short: a 4001 close or the socket closed
        n = 0
        try:
            while True:
                m = slow.recv_json(10.0)
                n += m.get("type") == "message"
        except Closed as c:
            self.assertIn(c.code, (4001, None))
        self.assertLess(n, self.POSTS)
        m = scrape(self.server)
        self.assertGreaterEqual(m['websocket_disconnections_total{reason="slow_consumer"}'], 1)
        fast.close()


class GracefulStop(WsTestCase):
    def test_sigterm_closes_1001(self):
        ws = connect(self.server, self.server.token("viewer"))
        subscribe(ws)
        self.server.proc.send_signal(15)
        self.assertEqual(ws.wait_close(8.0), 1001)
        rc = self.server.proc.wait(15)
        self.assertEqual(rc, 0)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
