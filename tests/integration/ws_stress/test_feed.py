"""ws-stress against the feed fixture: counting, forced reconnects with resume."""

import unittest

from wslib import EXIT_FAILED, EXIT_OK, Fixture, run


class FeedTest(unittest.TestCase):
    def test_no_loss_no_duplicate_across_forced_reconnects(self):
        fx = Fixture()
        try:
            r = run(fx.url, "-c", "20", "-d", "4s", "-t", "2", "--publish-rate", "25/s",
                    "--drop-every", "1s", "--backoff-initial", "100ms",
                    "--threshold", "loss<=0", "--threshold", "duplicates<=0")
            stats = fx.stats()
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_OK, r.describe())
        m, rec = r.json["messages"], r.json["reconnects"]
        self.assertGreater(m["published"], 50, r.describe())
        self.assertGreater(m["expected"], 20 * 50, r.describe())
        self.assertEqual(m["lost"], 0, r.describe())
        self.assertEqual(m["duplicated"], 0, r.describe())
        self.assertEqual(m["received"], m["expected"], r.describe())
        self.assertGreaterEqual(rec["forced_drops"], 20 * 2, r.describe())
        self.assertEqual(rec["count"], rec["forced_drops"], r.describe())
        self.assertGreater(m["replayed"], 0, "no message was replayed after a resume")
        self.assertTrue(r.json["drained"], r.describe())
        # Every reconnect said so (?reconnect=1) and resumed from a seq it had seen.
        self.assertEqual(stats["reconnect_marks"], rec["forced_drops"], stats)
        self.assertEqual(len(stats["since_seq"]), rec["forced_drops"], stats)
        self.assertEqual(r.json["connections"]["established"], 20)
        # Reconnect time (loss to resubscription acknowledged) includes the 100 ms backoff asked
        # for: the median waits it, and stays below the 1 s default that an ignored
        # --backoff-initial would give; a loaded machine delays some reconnects (1558 ms seen
        # at load 15 beside a median near 110 ms), so the median is judged, not the tail. The
        # tail must stay below the 10 s connect timeout: no reconnect waited one out.
        t = r.json["reconnects"]["time"]
        self.assertGreaterEqual(t["p50_ms"], 100, r.describe())
        self.assertLess(t["p50_ms"], 1000, r.describe())
        self.assertLess(t["max_ms"], 10000, r.describe())
        self.assertIsNotNone(r.json["latency"]["p99_ms"])

    def test_publisher_holds_its_rate_when_answers_are_slow(self):
        # Each answer takes 0.25 s: one post at a time would reach 4/s; the rate is 10/s.
        fx = Fixture("--post-delay", "0.25")
        try:
            r = run(fx.url, "-c", "2", "-d", "3s", "--publish-rate", "10/s")
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_OK, r.describe())
        self.assertGreaterEqual(r.json["messages"]["published"], 25, r.describe())
        self.assertLessEqual(r.json["messages"]["published"], 31, r.describe())
        self.assertIn("of 10.0/s asked", r.out)

    def test_loss_is_detected_when_the_server_cannot_replay(self):
        # A buffer of one message cannot cover a 300 ms gap at 50/s: the resume gets
        # resync_required, the gap stays open, and the loss threshold fails.
        fx = Fixture("--buffer", "1")
        try:
            r = run(fx.url, "-c", "5", "-d", "3s", "--publish-rate", "50/s",
                    "--drop-every", "1s", "--backoff-initial", "300ms", "--drain", "1s",
                    "--threshold", "loss<0.1%")
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_FAILED, r.describe())
        m = r.json["messages"]
        self.assertGreater(m["resync_required"], 0, r.describe())
        self.assertGreater(m["lost"], 0, r.describe())
        self.assertEqual(m["received"] + m["lost"], m["expected"], r.describe())
        self.assertIn("FAIL loss<0.1%", r.out)


if __name__ == "__main__":
    unittest.main()
