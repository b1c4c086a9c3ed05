"""The reconnect policy of TARS-1001 as ws-stress lives it: backoff timing, one loop,
close during a reconnect, refused connections (1008, 1013)."""

import time
import unittest

from wslib import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK, Fixture, Stress, run

TOLERANCE = 0.25  # seconds, for each backoff step


class ReconnectTest(unittest.TestCase):
    def test_backoff_doubles_from_the_initial_delay_with_one_loop(self):
        # After a drop the next two upgrades are refused (503): attempts must come 0.5, 1
        # and 2 s apart (jitter off), each exactly once, and the third one succeeds.
        fx = Fixture("--refuse", "2")
        try:
            s = Stress(fx.url, "-c", "1", "-d", "5s", "--backoff-initial", "500ms")
            fx.wait_subscribed(1)  # established, so the drop is a reconnect, not a failed attempt
            dropped_at = time.monotonic()
            self.assertEqual(fx.drop(), 1)
            r = s.result()
            attempts = [a for a in fx.stats()["attempts"] if a > dropped_at]
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_OK, r.describe())
        self.assertEqual(len(attempts), 3, "attempts after the drop: %r" % attempts)
        gaps = [attempts[0] - dropped_at, attempts[1] - attempts[0], attempts[2] - attempts[1]]
        for got, want in zip(gaps, (0.5, 1.0, 2.0)):
            self.assertAlmostEqual(got, want, delta=TOLERANCE, msg="gaps %r" % gaps)
        self.assertEqual(r.json["reconnects"]["count"], 1, r.describe())
        self.assertEqual(r.json["connections"]["attempt_failures"], 2, r.describe())
        self.assertEqual(r.json["reconnects"]["unexpected_drops"], 1, r.describe())
        self.assertAlmostEqual(r.json["reconnects"]["time"]["max_ms"], 3500, delta=400)

    def test_close_during_a_reconnect_ends_within_5_seconds(self):
        fx = Fixture()
        try:
            s = Stress(fx.url, "-c", "5", "-d", "60s", "--backoff-initial", "20s")
            # Subscribed, not only open: a connection lost before its ack was never
            # established (under the sanitizers ws-stress is slow enough to see that).
            fx.wait_subscribed(5)
        finally:
            fx.stop()  # every connection is lost: each waits 20 s for its first retry
        time.sleep(0.3)
        asked = time.monotonic()
        s.interrupt()
        r = s.result(timeout=30)
        took = time.monotonic() - asked
        self.assertLess(took, 5.0, "ws-stress took %.1fs to stop during a reconnect" % took)
        self.assertEqual(r.rc, EXIT_INCONCLUSIVE, r.describe())  # interrupted: no verdict
        self.assertTrue(r.json["interrupted"])
        self.assertEqual(r.json["connections"]["established"], 5)
        self.assertEqual(r.json["reconnects"]["unexpected_drops"], 5, r.describe())

    def test_bad_token_is_a_failed_connection_with_its_reason(self):
        fx = Fixture("--token", "right-token")
        try:
            bad = run(fx.url, "-c", "3", "-d", "1s", "--token-env", "WS_TOKEN",
                      env={"WS_TOKEN": "wrong-token"})
            gated = run(fx.url, "-c", "3", "-d", "1s", "--threshold", "failed_connections<=0")
            good = run(fx.url, "-c", "3", "-d", "1s", "--token-env", "WS_TOKEN",
                       env={"WS_TOKEN": "right-token"})
            others = [run(fx.url, "-c", "2", "-d", "500ms", "--token-env", "WS_TOKEN",
                          "--token-in", where, env={"WS_TOKEN": "right-token"})
                      for where in ("query", "protocol")]
            auth_failures = fx.stats()["auth_failures"]
        finally:
            fx.stop()
        self.assertEqual(bad.rc, EXIT_INCONCLUSIVE, bad.describe())
        conn = bad.json["connections"]
        self.assertEqual((conn["established"], conn["failed"], conn["attempts"]), (0, 3, 3),
                         "1008 must not be retried: %s" % bad.describe())
        reasons = " ".join(conn["failure_reasons"])
        self.assertIn("1008", reasons)
        self.assertIn("token", reasons)
        self.assertIn("closed 1008", bad.out)
        self.assertNotIn("wrong-token", bad.out + bad.err)
        self.assertEqual(gated.rc, EXIT_FAILED, gated.describe())
        self.assertIn("FAIL failed_connections<=0", gated.out)
        self.assertEqual(good.rc, EXIT_OK, good.describe())
        self.assertEqual(good.json["connections"]["established"], 3)
        for r in others:
            self.assertEqual(r.rc, EXIT_OK, r.describe())
            self.assertEqual(r.json["connections"]["established"], 2, r.describe())
            self.assertNotIn("right-token", r.out + r.err + str(r.json))
        self.assertEqual(auth_failures, 6)

    def test_full_server_1013_is_retried_and_counted(self):
        fx = Fixture("--max-connections", "3")
        try:
            r = run(fx.url, "-c", "5", "-d", "2s", "--backoff-initial", "200ms", "--drain", "500ms")
        finally:
            fx.stop()
        conn = r.json["connections"]
        self.assertEqual((conn["established"], conn["failed"]), (3, 2), r.describe())
        self.assertGreater(conn["attempts"], 5 + 2, "1013 is retried: %s" % r.describe())
        self.assertIn("1013", " ".join(conn["failure_reasons"]))


if __name__ == "__main__":
    unittest.main()
