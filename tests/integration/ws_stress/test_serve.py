"""ws-stress against the real feed of `tars serve --demo` (started through ../api/harness.py):
traffic through POST /api/v1/evaluations, forced reconnects resumed with since_seq, tokens."""

import os
import sys
import unittest

from wslib import EXIT_INCONCLUSIVE, EXIT_OK, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import harness as H  # noqa: E402


def scrape(server):
    r = server.get("/metrics")
    if r.status != 200:
        raise AssertionError("/metrics: " + r.describe())
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get("TARS_BIN"):
            raise unittest.SkipTest("TARS_BIN is not set")
        cls.server = H.Server(extra_args=["--threads", "2"]).start()
        cls.url = "ws://%s:%d/ws" % (H.HOST, cls.server.port)
        cls.token = cls.server.token("developer")
        H.register_secret(cls.token)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_clean()

    def test_publish_and_forced_drops_lose_nothing(self):
        before = scrape(self.server)
        r = run(self.url, "-c", "30", "-d", "5s", "-t", "2", "--publish-rate", "20/s",
                "--drop-every", "2s", "--backoff-initial", "200ms", "--token-env", "WS_TOKEN",
                "--threshold", "loss<=0", "--threshold", "duplicates<=0",
                "--threshold", "out_of_order<=0", "--threshold", "reconnect_max<5s",
                env={"WS_TOKEN": self.token})
        after = scrape(self.server)
        msg = "%s" % H.mask(r.describe())
        self.assertEqual(r.rc, EXIT_OK, msg)
        m, rec = r.json["messages"], r.json["reconnects"]
        self.assertGreaterEqual(m["published"], 80, msg)
        self.assertEqual(m["publish_errors"], 0, msg)
        self.assertGreaterEqual(m["expected"], 30 * 80, msg)
        self.assertEqual((m["lost"], m["duplicated"], m["out_of_order"]), (0, 0, 0), msg)
        self.assertEqual(m["received"], m["expected"], msg)
        self.assertGreaterEqual(rec["forced_drops"], 30, msg)
        self.assertEqual(rec["count"], rec["forced_drops"], msg)
        self.assertGreater(m["replayed"], 0, msg)
        self.assertTrue(r.json["drained"], msg)
        # the server saw each reconnect marked ?reconnect=1, and accepted it
        marked = (after.get("websocket_reconnect_attempts_total", 0)
                  - before.get("websocket_reconnect_attempts_total", 0))
        accepted = (after.get("websocket_reconnect_success_total", 0)
                    - before.get("websocket_reconnect_success_total", 0))
        self.assertEqual(marked, rec["forced_drops"])
        self.assertEqual(accepted, rec["forced_drops"])
        self.assertNotIn(self.token, r.out + r.err)

    def test_tokens_header_query_protocol_and_a_bad_one(self):
        for where in ("header", "query", "protocol"):
            r = run(self.url, "-c", "2", "-d", "500ms", "--token-env", "WS_TOKEN",
                    "--token-in", where, env={"WS_TOKEN": self.token})
            self.assertEqual(r.rc, EXIT_OK, "%s: %s" % (where, H.mask(r.describe())))
            self.assertEqual(r.json["connections"]["established"], 2)
            self.assertNotIn(self.token, r.out + r.err + str(r.json))
        bad = run(self.url, "-c", "2", "-d", "500ms", "--token-env", "WS_TOKEN",
                  env={"WS_TOKEN": self.token[:-4] + "AAAA"})
        self.assertEqual(bad.rc, EXIT_INCONCLUSIVE, H.mask(bad.describe()))
        self.assertEqual(bad.json["connections"]["failed"], 2)
        self.assertEqual(bad.json["connections"]["attempts"], 2, "1008 is not retried")
        self.assertIn("1008", " ".join(bad.json["connections"]["failure_reasons"]))
        # no token at all: the server lets the socket open but refuses the subscription
        none = run(self.url, "-c", "1", "-d", "500ms")
        self.assertEqual(none.rc, EXIT_INCONCLUSIVE, none.describe())
        self.assertIn("subscription refused", " ".join(none.json["connections"]["failure_reasons"]))


if __name__ == "__main__":
    unittest.main()
