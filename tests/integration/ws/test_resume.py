"""Resume after a reconnect (since_seq), resync_required, many clients on several loop threads,
and the WebSocket metrics of /metrics."""

import time
import unittest

from wstest import (CHANNEL, WsTestCase, connect, next_push, post_eval, scrape, subscribe,
                    wait_for)

REPLAY = 8


class Resume(WsTestCase):
    server_args = ["--ws-replay", str(REPLAY), "--threads", "2"]

    def test_reconnect_gets_exactly_what_it_missed(self):
        tok = self.server.token("viewer")
        ws = connect(self.server, tok)
        ack = subscribe(ws)
        post_eval(self.server)
        last = next_push(ws)["seq"]
        self.assertEqual(last, ack["seq"] + 1)
        ws.close()
        missed = [post_eval(self.server, agent="agent-missed-%d" % i)["id"] for i in range(5)]
        ws = connect(self.server, tok, query="reconnect=1")
        ack2 = subscribe(ws, since=last)
        self.assertEqual(ack2["type"], "subscribed")
        self.assertEqual(ack2["seq"], last + 5)
        got = [next_push(ws) for _ in range(5)]
        self.assertEqual([m["seq"] for m in got], list(range(last + 1, last + 6)))
        self.assertEqual([m["payload"]["id"] for m in got], missed)
        live = post_eval(self.server)
        m = next_push(ws)
        self.assertEqual((m["seq"], m["payload"]["id"]), (last + 6, live["id"]),
                         "live right after the replay: no gap, no duplicate")
        ws.send_json({"type": "ping"})
        self.assertEqual(next_push(ws)["type"], "pong", "nothing else was sent")
        ws.close()

    def test_gap_older_than_the_buffer_asks_for_resync(self):
        tok = self.server.token("viewer")
        ws = connect(self.server, tok)
        start = subscribe(ws)["seq"]
        ws.close()
        for _ in range(REPLAY + 3):
            post_eval(self.server)
        ws = connect(self.server, tok)
        ack = subscribe(ws, since=start)
        self.assertEqual(ack["seq"], start + REPLAY + 3)
        rs = next_push(ws)
        self.assertType(rs, "resync_required", channel=CHANNEL, last_seq=start + REPLAY + 3,
                        oldest_seq=start + 4)
        post_eval(self.server)
        self.assertEqual(next_push(ws)["seq"], start + REPLAY + 4, "then live")
        ws.close()
        ws = connect(self.server, tok)
        subscribe(ws, since=10 ** 9)
        self.assertType(next_push(ws), "resync_required")
        ws.close()

    def test_many_clients_across_threads_get_everything(self):
        tok = self.server.token("viewer")
        clients = [connect(self.server, tok) for _ in range(50)]
        starts = [subscribe(ws)["seq"] for ws in clients]
        self.assertEqual(len(set(starts)), 1)
        ids = [post_eval(self.server)["id"] for _ in range(5)]
        for ws in clients:
            got = [next_push(ws) for _ in range(5)]
            self.assertEqual([m["seq"] for m in got], [starts[0] + i for i in range(1, 6)])
            self.assertEqual([m["payload"]["id"] for m in got], ids)
        for ws in clients:
            ws.close()

    def test_metrics_counters_move(self):
        before = scrape(self.server)
        tok = self.server.token("viewer")
        ws = connect(self.server, tok, query="reconnect=1")
        subscribe(ws)
        bad = connect(self.server, query="reconnect=1&token=forged")
        self.assertEqual(bad.wait_close(5.0), 1008)
        post_eval(self.server)
        next_push(ws)
        self.assertGreaterEqual(scrape(self.server)["tars_websocket_connections"], 1)
        ws.close()
        after = wait_for(lambda: (lambda m: m if m['websocket_disconnections_total{reason="client"}']
                                  > before['websocket_disconnections_total{reason="client"}'] else None)
                         (scrape(self.server)))
        self.assertIsNotNone(after, "websocket_disconnections_total did not move")
        self.assertEqual(after["websocket_reconnect_attempts_total"],
                         before["websocket_reconnect_attempts_total"] + 2)
        self.assertEqual(after["websocket_reconnect_success_total"],
                         before["websocket_reconnect_success_total"] + 1)
        self.assertEqual(after['tars_websocket_rejected_total{reason="auth"}'],
                         before['tars_websocket_rejected_total{reason="auth"}'] + 1)
        self.assertGreaterEqual(after["tars_websocket_messages_sent_total"],
                                before["tars_websocket_messages_sent_total"] + 2)
        self.assertIn("tars_websocket_slow_consumers_total", after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
