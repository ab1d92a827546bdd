"""A flood of idle connections against a running tern: connections from many
addresses take every slot and say nothing. A newcomer from a fresh address is
still served at once (the oldest idle connection that has not logged in is
closed to make room), a client that logged in before the flood keeps its
session, and under stress (limits.stress_threshold) the idle ones are closed
after limits.stress_timeout instead of command_timeout."""
import imaplib
import socket
import time
import unittest

from harness import Tern, count_closed_by_server

TOTAL = 200
PER_IP = 50
STRESS_TIMEOUT = 3
FLOOD_SOURCES = [f"127.0.1.{i}" for i in range(1, 6)]  # 5 x 50 = 250 attempts for 200 slots


class Flood(unittest.TestCase):
    def setUp(self):
        self.tern = Tern(protocols=("smtp", "imap"),
                         extra=f"[limits]\nmax_connections = {TOTAL}\nmax_connections_per_ip = {PER_IP}\n"
                               f'stress_timeout = "{STRESS_TIMEOUT}s"\ncommand_timeout = "60s"\n'
                               "[auth]\nallow_plaintext_loopback = true\n")
        self.tern.add_user("alice@example.test", "alice-pw")
        self.tern.start()
        self.flood = []

    def tearDown(self):
        for s in self.flood:
            s.close()
        try:
            self.assertEqual(self.tern.stop(), 0, self.tern.read_log())
        finally:
            self.tern.close()

    def open_flood(self):
        for source in FLOOD_SOURCES:
            for _ in range(PER_IP):
                s = socket.create_connection(("127.0.0.1", self.tern.ports["imap"]), timeout=10,
                                             source_address=(source, 0))
                self.flood.append(s)

    def login(self):
        started = time.monotonic()
        imap = imaplib.IMAP4("127.0.0.1", self.tern.ports["imap"], timeout=10)
        imap.login("alice@example.test", "alice-pw")
        return imap, time.monotonic() - started

    def test_newcomer_is_served_during_a_flood(self):
        before, _ = self.login()
        self.open_flood()
        time.sleep(0.5)  # the flood's sessions are all waiting now
        # The flood is still there (nothing has timed out yet) ...
        imap, waited = self.login()
        self.assertLess(waited, 2.0, "a newcomer waited for a slot")
        self.assertEqual(imap.select("INBOX")[0], "OK")
        imap.logout()
        # ... the session that logged in before it is untouched ...
        self.assertEqual(before.noop()[0], "OK")
        log = self.tern.read_log()
        self.assertIn("event=evicted", log)
        # ... and under stress the idle flood is closed after stress_timeout.
        closed = count_closed_by_server(self.flood, STRESS_TIMEOUT + 10)
        self.assertEqual(closed, len(self.flood))
        self.assertIn("limit=stress", self.tern.read_log())
        self.assertEqual(before.noop()[0], "OK")
        before.logout()

    def test_flood_from_one_network_with_a_prefix(self):
        # With per_ip_prefix_v4 = 24 the flood's five addresses are one network.
        self.tern.stop()
        self.tern.close()
        self.tern = Tern(protocols=("imap",),
                         extra=f"[limits]\nmax_connections = {TOTAL}\nmax_connections_per_ip = {PER_IP}\n"
                               "per_ip_prefix_v4 = 24\n")
        self.tern.start()
        held = 0
        refused = 0
        for source in FLOOD_SOURCES:
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", self.tern.ports["imap"]), timeout=10,
                                             source_address=(source, 0))
                self.flood.append(s)
                line = s.makefile("rb").readline()
                if line.startswith(b"* OK"):
                    held += 1
                elif line.startswith(b"* BYE [UNAVAILABLE]"):
                    refused += 1
        self.assertEqual(held, PER_IP)
        self.assertEqual(refused, len(FLOOD_SOURCES) * 20 - PER_IP)
        self.assertIn("reason=per_ip_limit", self.tern.read_log())


if __name__ == "__main__":
    unittest.main()
