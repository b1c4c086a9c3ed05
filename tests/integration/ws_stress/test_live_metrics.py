"""`tars ws-stress --metrics-listen` against the feed fixture: the live exposition while clients
run, accepted by promtool, whose final figures (served during --metrics-linger) equal the
--json summary; a non-loopback address is refused before any connection."""

import os
import signal
import sys
import time
import unittest

from wslib import EXIT_OK, EXIT_USAGE, Fixture, Stress

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from freeport import free_port  # noqa: E402
from promtext import parse, promtool_check, scrape, value  # noqa: E402


def poll(what, fn, timeout):
    """fn() every 0.1 s until it returns something true (returned); fails after timeout s."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = fn()
        except OSError as e:
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    raise AssertionError("waited %g s for %s (last: %r)" % (timeout, what, last))


class LiveMetricsTest(unittest.TestCase):
    def test_running_then_final_figures_equal_the_summary(self):
        port = free_port()
        fx = Fixture()
        try:
            stress = Stress(fx.url, "-c", "10", "-d", "3s", "-t", "2", "--publish-rate", "20/s",
                            "--drop-every", "1s", "--backoff-initial", "100ms",
                            "--metrics-listen", "127.0.0.1:%d" % port, "--metrics-linger", "30s")

            def running_with_messages():
                status, ctype, text = scrape(port)
                s = parse(text)
                if (status == 200 and value(s, "tars_ws_stress_running") == 1
                        and value(s, "tars_ws_stress_messages_received_total") > 0):
                    return ctype, text
                return None

            ctype, live = poll("a scrape of the running clients with messages", running_with_messages, 30)

            def final():
                status, _, text = scrape(port)
                return text if status == 200 and value(parse(text), "tars_ws_stress_running") == 0 else None

            text = poll("the final exposition", final, 40)
            # the summary is written before the linger starts: a signal sent earlier could
            # still reach the run itself and mark it interrupted
            poll("the --json summary", lambda: os.path.exists(stress.json_path), 30)
            stress.interrupt(signal.SIGTERM)  # ends the linger
            r = stress.result(30)
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_OK, r.describe())
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        promtool_check(self, live)
        promtool_check(self, text)
        s, j = parse(text), r.json
        conn = j["connections"]
        self.assertEqual(value(s, "tars_ws_stress_connections_established_total"), conn["established"])
        self.assertEqual(conn["established"], 10)
        self.assertEqual(value(s, "tars_ws_stress_connection_attempts_total"), conn["attempts"])
        self.assertEqual(value(s, "tars_ws_stress_reconnects_total"), j["reconnects"]["count"])
        self.assertGreater(j["reconnects"]["count"], 0)
        self.assertEqual(value(s, "tars_ws_stress_drops_total", kind="forced"),
                         j["reconnects"]["forced_drops"])
        self.assertEqual(value(s, "tars_ws_stress_messages_replayed_total"), j["messages"]["replayed"])
        self.assertGreaterEqual(value(s, "tars_ws_stress_messages_received_total"),
                                j["messages"]["received"])
        self.assertEqual(value(s, "tars_ws_stress_message_latency_seconds_count"),
                         j["latency"]["count"])
        self.assertGreater(j["latency"]["count"], 0)
        self.assertEqual(value(s, "tars_ws_stress_message_latency_seconds_bucket", le="+Inf"),
                         j["latency"]["count"])
        self.assertEqual(value(s, "tars_ws_stress_connect_duration_seconds_count"),
                         conn["connect_time"]["count"])
        self.assertEqual(value(s, "tars_ws_stress_connections_open"), 0)

    def test_listen_address_from_the_environment(self):
        """TARS_WS_STRESS_METRICS_LISTEN stands for --metrics-listen (the demo hands it over, as
        TARS_LOAD_METRICS_LISTEN to tars load); the same rules apply to it."""
        port = free_port()
        fx = Fixture()
        try:
            stress = Stress(fx.url, "-c", "2", "-d", "2s", "--publish-rate", "10/s",
                            "--metrics-linger", "30s",
                            env={"TARS_WS_STRESS_METRICS_LISTEN": "127.0.0.1:%d" % port})

            def final():
                status, _, text = scrape(port)
                return text if status == 200 and value(parse(text), "tars_ws_stress_running") == 0 else None

            text = poll("the final exposition on the address from the environment", final, 40)
            poll("the --json summary", lambda: os.path.exists(stress.json_path), 30)
            stress.interrupt(signal.SIGTERM)  # ends the linger
            r = stress.result(30)
            bad = Stress(fx.url, "-c", "2", "-d", "2s",
                         env={"TARS_WS_STRESS_METRICS_LISTEN": "0.0.0.0:%d" % free_port()}).result(30)
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_OK, r.describe())
        self.assertEqual(value(parse(text), "tars_ws_stress_connections_established_total"),
                         r.json["connections"]["established"])
        self.assertEqual(bad.rc, EXIT_USAGE, bad.describe())
        self.assertIn("--metrics-allow-remote", bad.err)

    def test_non_loopback_refused_before_connecting(self):
        fx = Fixture()
        try:
            r = Stress(fx.url, "-c", "2", "-d", "2s",
                       "--metrics-listen", "0.0.0.0:%d" % free_port()).result(30)
            stats = fx.stats()
        finally:
            fx.stop()
        self.assertEqual(r.rc, EXIT_USAGE, r.describe())
        self.assertIn("--metrics-allow-remote", r.err)
        self.assertEqual(stats["subscribes"], 0, stats)


if __name__ == "__main__":
    unittest.main()
