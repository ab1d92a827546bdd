"""Connection limits of a running tern ([limits] max_connections_per_ip and
max_connections): a connection over a limit is refused at once, with 421 on
SMTP and -ERR [SYS/TEMP] on POP3 (the client may come back later), closed
without a word on implicit-TLS listeners, and logged with the client's address;
the count goes down again when a session ends. A server whose slots are all
taken makes room for a newcomer by closing the oldest idle connection that
has not logged in; only when every slot is busy or logged in is it refused."""
import socket
import time
import unittest

from harness import RawPop3, RawSmtp, Tern

PER_IP = 3
TOTAL = 5


def first_line(port, host="127.0.0.1", source="127.0.0.1"):
    """The first line the server sends to a new connection ("" when it just closes)."""
    with socket.create_connection((host, port), timeout=10, source_address=(source, 0)) as s:
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode()


def wait_until_no_sessions(tern, timeout=10):
    """Waits until every session in the log has ended (start()'s own probe
    connections hold a slot until the server has seen them close)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = tern.read_log()
        connects = log.count("event=connect ")
        if connects >= len(tern.ports) and connects == log.count("event=disconnect"):
            return
        time.sleep(0.05)
    raise AssertionError("sessions still open:\n" + tern.read_log())


class ConnectionLimits(unittest.TestCase):
    def setUp(self):
        self.tern = Tern(protocols=("smtp", "pop3", "pop3s"),
                         extra=f"[limits]\nmax_connections_per_ip = {PER_IP}\nmax_connections = {TOTAL}\n")
        self.tern.start()
        wait_until_no_sessions(self.tern)

    def tearDown(self):
        try:
            self.assertEqual(self.tern.stop(), 0, self.tern.read_log())
        finally:
            self.tern.close()

    def hold_smtp(self, source):
        c = RawSmtp(self.tern.ports["smtp"], source_address=(source, 0), greeting=False)
        self.addCleanup(c.close)
        code, text = c.reply()
        if code != 220:
            raise AssertionError(f"greeting {code} {text!r}")
        return c

    def hold_pop3(self, source):
        c = RawPop3(self.tern.ports["pop3"])
        self.addCleanup(c.close)
        return c

    def wait_for_release(self, port, source, expected_prefix):
        """Closing a session frees its slot once the server has noticed; poll for that."""
        deadline = time.time() + 10
        while True:
            line = first_line(port, source=source)
            if line.startswith(expected_prefix) or time.time() > deadline:
                return line
            time.sleep(0.1)

    def test_per_ip_limit_smtp_421(self):
        held = [self.hold_smtp("127.0.0.1") for _ in range(PER_IP)]
        self.assertTrue(first_line(self.tern.ports["smtp"]).startswith("421 4.7.0 "))
        # The limit is per address: another client still gets in.
        self.assertTrue(first_line(self.tern.ports["smtp"], source="127.0.0.2").startswith("220 "))
        # The held sessions are unaffected ...
        for c in held:
            self.assertEqual(c.cmd("NOOP")[0], 250)
        # ... and when one ends, its slot is free again.
        self.assertEqual(held[0].cmd("QUIT")[0], 221)
        held[0].close()
        self.assertTrue(self.wait_for_release(self.tern.ports["smtp"], "127.0.0.1", "220 ").startswith("220 "))
        self.assertRegex(self.tern.read_log(), r"event=connection_refused protocol=smtp peer=127\.0\.0\.1 ")

    def test_per_ip_limit_counts_every_listener(self):
        for _ in range(PER_IP - 1):
            self.hold_smtp("127.0.0.1")
        self.hold_pop3("127.0.0.1")
        self.assertEqual(first_line(self.tern.ports["pop3"]), "-ERR [SYS/TEMP] too many connections")
        self.assertTrue(first_line(self.tern.ports["smtp"]).startswith("421 "))
        # Implicit TLS: nothing can be said before the handshake, so the connection just ends.
        self.assertEqual(first_line(self.tern.ports["pop3s"]), "")
        self.assertRegex(self.tern.read_log(), r"event=connection_refused protocol=pop3 peer=127\.0\.0\.1 ")

    def hold_busy_smtp(self, source):
        """A session in the middle of a mail transaction: not idle, so never evicted."""
        c = self.hold_smtp(source)
        self.assertEqual(c.cmd("EHLO client.example.test")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<someone@example.net>")[0], 250)
        return c

    def test_global_limit_with_busy_sessions(self):
        sources = ["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.3"]
        self.assertEqual(len(sources), TOTAL)
        held = [self.hold_busy_smtp(source) for source in sources]
        # A fresh address, under its own limit, meets the global one: every
        # slot is in use by a session that is doing something.
        self.assertTrue(first_line(self.tern.ports["smtp"], source="127.0.0.4").startswith("421 4.7.0 "))
        self.assertEqual(first_line(self.tern.ports["pop3"], source="127.0.0.4"),
                         "-ERR [SYS/TEMP] too many connections")
        self.assertRegex(self.tern.read_log(),
                         r"event=connection_refused protocol=smtp peer=127\.0\.0\.4 reason=server_full")
        for c in held:
            self.assertEqual(c.cmd("RCPT TO:<nobody@example.test>")[0] // 100, 5)
        self.assertEqual(held[-1].cmd("QUIT")[0], 221)
        held[-1].close()
        self.assertTrue(self.wait_for_release(self.tern.ports["smtp"], "127.0.0.4", "220 ").startswith("220 "))

    def test_full_server_closes_the_oldest_idle_connection_for_a_newcomer(self):
        sources = ["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.3"]
        oldest = self.hold_smtp(sources[0])
        time.sleep(0.2)  # so that "oldest" is the oldest idle one
        others = [self.hold_smtp(source) for source in sources[1:]]
        time.sleep(0.2)  # every session is back waiting for a command
        # The newcomer is served at once ...
        self.assertTrue(first_line(self.tern.ports["smtp"], source="127.0.0.4").startswith("220 "))
        # ... and the oldest idle connection was told why and closed.
        code, text = oldest.reply()
        self.assertEqual(code, 421, text)
        self.assertTrue(text.startswith("4.7.0 ") and "Too many connections" in text, text)
        self.assertTrue(oldest.closed(timeout=3))
        for c in others:
            self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertRegex(self.tern.read_log(), r"event=evicted peer=127\.0\.0\.1 ")

    def test_refused_connections_do_not_leak_slots(self):
        # Many refusals in a row must leave the counts where they were.
        held = [self.hold_smtp("127.0.0.1") for _ in range(PER_IP)]
        for _ in range(50):
            self.assertTrue(first_line(self.tern.ports["smtp"]).startswith("421 "))
        for c in held:
            self.assertEqual(c.cmd("QUIT")[0], 221)
            c.close()
        deadline = time.time() + 10
        admitted = []
        while len(admitted) < PER_IP and time.time() < deadline:
            try:
                admitted.append(self.hold_smtp("127.0.0.1"))
            except AssertionError:  # a slot not yet released: 421 instead of 220
                time.sleep(0.1)
        self.assertEqual(len(admitted), PER_IP)


if __name__ == "__main__":
    unittest.main()
