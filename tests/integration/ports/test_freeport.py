"""The shared free-port picker (tests/integration/freeport.py): never a port of the ephemeral
range, never one that is bound, never the same one twice."""

import os
import socket
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import freeport  # noqa: E402


class FreePort(unittest.TestCase):
    def test_ports_are_outside_the_ephemeral_range_and_distinct(self):
        low, high = freeport.ephemeral_range()
        ports = [freeport.free_port() for _ in range(200)]
        self.assertEqual(len(set(ports)), len(ports))
        for p in ports:
            self.assertFalse(low <= p <= high, "%d is in the ephemeral range %d-%d" % (p, low, high))
            self.assertTrue(freeport.LOWEST <= p <= freeport.HIGHEST, p)

    def test_the_range_is_read_from_the_kernel(self):
        with tempfile.NamedTemporaryFile("w", suffix=".range") as f:
            f.write("40000\t50000\n")
            f.flush()
            self.assertEqual(freeport.ephemeral_range(f.name), (40000, 50000))
            with mock.patch.object(freeport, "RANGE_FILE", f.name):
                self.assertEqual(freeport.candidate_ranges(), [(20000, 39999), (50001, 65535)])
        self.assertEqual(freeport.ephemeral_range("/nonexistent/range"), (32768, 60999))

    def test_a_bound_port_is_never_given(self):
        held = freeport.listening_socket()
        port = held.getsockname()[1]
        try:
            with mock.patch.object(freeport, "candidate_ranges", lambda: [(port, port)]):
                with self.assertRaises(OSError) as e:
                    freeport.free_port()
                self.assertIn("no free port", str(e.exception))
        finally:
            held.close()

    def test_a_listening_socket_serves_and_a_given_port_is_used(self):
        s = freeport.listening_socket()
        try:
            port = s.getsockname()[1]
            low, high = freeport.ephemeral_range()
            self.assertFalse(low <= port <= high, port)
            socket.create_connection((freeport.HOST, port), timeout=5).close()
            with self.assertRaises(OSError):
                freeport.listening_socket(port=port)  # taken: said, not silently another
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
