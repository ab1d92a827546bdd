"""Time limits of a running tern: an idle client is dropped after
command_timeout (SMTP with 421 4.4.2, POP3 silently, RFC 1939 3, IMAP with
an untagged BYE, RFC 9051 7.1.5; IMAP's 30-minute autologout floor applies
only when command_timeout is at its default or above); a client
that sends a byte less often than that is dropped at the first gap; one that
trickles a byte just often enough to dodge command_timeout is ended by the
deadline on the whole command (slowloris); and one that sends complete
commands forever is still ended by session_timeout. Hundreds of such slow clients at once cost bounded memory
and leave no session behind."""
import socket
import time
import unittest

from harness import RawPop3, RawSmtp, Tern, count_closed_by_server

COMMAND_TIMEOUT = 2
SESSION_TIMEOUT = 5


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Timeouts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "pop3", "imap"),
                        extra=f'[limits]\ncommand_timeout = "{COMMAND_TIMEOUT}s"\n'
                              f'session_timeout = "{SESSION_TIMEOUT}s"\n'
                              'max_connections = 1000\nmax_connections_per_ip = 1000\n'
                              '[auth]\nallow_plaintext_loopback = true\n')
        cls.tern.add_user("slow@example.test", "slow-pw")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, cls.tern.read_log()
        finally:
            cls.tern.close()

    def smtp(self):
        c = RawSmtp(self.tern.ports["smtp"], timeout=COMMAND_TIMEOUT + SESSION_TIMEOUT + 5)
        self.addCleanup(c.close)
        return c

    def pop3(self):
        c = RawPop3(self.tern.ports["pop3"], timeout=COMMAND_TIMEOUT + SESSION_TIMEOUT + 5)
        self.addCleanup(c.close)
        return c

    def assert_smtp_timeout(self, c, started, low, high):
        code, text = c.reply()
        self.assertEqual((code, text[:6]), (421, "4.4.2 "), text)
        self.assertTrue(c.closed(timeout=3))
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, low)
        self.assertLess(elapsed, high)

    def test_smtp_idle_after_greeting_and_after_ehlo(self):
        quiet = self.smtp()
        talked = self.smtp()
        self.assertEqual(talked.cmd("EHLO client.example.test")[0], 250)
        started = time.monotonic()
        self.assert_smtp_timeout(quiet, started, COMMAND_TIMEOUT - 0.5, COMMAND_TIMEOUT + 3)
        self.assert_smtp_timeout(talked, started, COMMAND_TIMEOUT - 0.5, COMMAND_TIMEOUT + 3)

    def test_pop3_idle_before_and_after_login(self):
        quiet = self.pop3()
        logged_in = self.pop3()
        self.assertTrue(logged_in.cmd("USER slow@example.test").startswith("+OK"))
        self.assertTrue(logged_in.cmd("PASS slow-pw").startswith("+OK"))
        started = time.monotonic()
        for c in (quiet, logged_in):
            self.assertTrue(c.closed(timeout=COMMAND_TIMEOUT + 3))  # RFC 1939 3: no response
        self.assertGreater(time.monotonic() - started, COMMAND_TIMEOUT - 0.5)
        # The maildrop lock went with the session: the next login gets in.
        again = self.pop3()
        self.assertTrue(again.cmd("USER slow@example.test").startswith("+OK"))
        self.assertTrue(again.cmd("PASS slow-pw").startswith("+OK"))
        self.assertTrue(again.cmd("QUIT").startswith("+OK"))

    def test_imap_idle_before_and_after_login_and_in_idle(self):
        clients = []
        for step in ("quiet", "logged_in", "idling"):
            s = socket.create_connection(("127.0.0.1", self.tern.ports["imap"]), timeout=COMMAND_TIMEOUT + 10)
            self.addCleanup(s.close)
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"* OK"))
            if step != "quiet":
                s.sendall(b"a LOGIN slow@example.test slow-pw\r\n")
                self.assertTrue(f.readline().startswith(b"a OK"))
            if step == "idling":
                s.sendall(b"b IDLE\r\n")
                self.assertEqual(f.readline(), b"+ idling\r\n")
            clients.append((s, f))
        started = time.monotonic()
        for s, f in clients:
            self.assertTrue(f.readline().startswith(b"* BYE autologout"))
            self.assertEqual(f.read(), b"")  # closed
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, COMMAND_TIMEOUT - 0.5)
        self.assertLess(elapsed, COMMAND_TIMEOUT + 4)

    def test_byte_slower_than_command_timeout(self):
        c = self.smtp()
        p = self.pop3()
        for byte in (b"N", b"O"):
            c.send(byte)
            p.send(byte)
            time.sleep(0.3)
        started = time.monotonic()
        # No further byte: the gap is longer than command_timeout.
        self.assert_smtp_timeout(c, started, COMMAND_TIMEOUT - 1, COMMAND_TIMEOUT + 3)
        self.assertTrue(p.closed(timeout=COMMAND_TIMEOUT + 3))

    def trickle_until_closed(self, sock, payload, interval, step=1):
        """Sends PAYLOAD STEP bytes per INTERVAL seconds, looping, until the server closes;
        the seconds that took and what the server said."""
        started = time.monotonic()
        sock.settimeout(interval)
        received = b""
        i = 0
        while time.monotonic() - started < SESSION_TIMEOUT + 10:
            try:
                at = (i * step) % len(payload)
                sock.sendall(payload[at:at + step])
            except (BrokenPipeError, ConnectionResetError):
                break
            i += 1
            try:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                break
        return time.monotonic() - started, received

    def test_trickle_is_ended_by_session_timeout(self):
        # A complete NOOP every half second never lets command_timeout fire,
        # and keeps the SMTP session "busy": session_timeout ends it.
        c = self.smtp()
        elapsed, said = self.trickle_until_closed(c.sock, b"NOOP\r\n", 0.5, step=6)
        self.assertGreater(elapsed, SESSION_TIMEOUT - 1)
        self.assertLess(elapsed, SESSION_TIMEOUT + 5)
        self.assertIn(b"421 4.4.2 ", said)
        p = self.pop3()
        elapsed, _ = self.trickle_until_closed(p.sock, b"CAPA\r\n", 0.5, step=6)
        self.assertGreater(elapsed, SESSION_TIMEOUT - 1)
        self.assertLess(elapsed, SESSION_TIMEOUT + 5)

    def test_slowloris_command_is_ended_by_the_command_deadline(self):
        # One byte every 0.3 s: no single read waits long, but the command
        # never ends. The deadline is on the whole command (RFC 5321
        # 4.5.3.2), so the session ends after about command_timeout.
        c = self.smtp()
        elapsed, said = self.trickle_until_closed(c.sock, b"NOOP NOOP NOOP NOOP ", 0.3)
        self.assertGreater(elapsed, COMMAND_TIMEOUT - 0.5)
        self.assertLess(elapsed, COMMAND_TIMEOUT + 2.5)
        self.assertIn(b"421 4.4.2 ", said)
        # The same inside DATA: the message body is one command.
        c = self.smtp()
        self.assertEqual(c.cmd("EHLO slow.example.test")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<slow@example.net>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<slow@example.test>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        elapsed, said = self.trickle_until_closed(c.sock, b"Subject: slow\r\n", 0.3)
        self.assertLess(elapsed, COMMAND_TIMEOUT + 2.5)
        self.assertIn(b"421 4.4.2 ", said)
        # IMAP: a line that never ends, before login.
        s = socket.create_connection(("127.0.0.1", self.tern.ports["imap"]), timeout=10)
        self.addCleanup(s.close)
        self.assertTrue(s.recv(4096).startswith(b"* OK"))
        elapsed, said = self.trickle_until_closed(s, b"a NOOP NOOP NOOP ", 0.3)
        self.assertLess(elapsed, COMMAND_TIMEOUT + 2.5)
        self.assertIn(b"* BYE ", said)
        log = self.tern.read_log()
        self.assertIn("event=timeout limit=command", log)

    def test_many_slow_clients_bounded(self):
        before = rss_kib(self.tern.process.pid)
        clients = []
        for i in range(400):
            port = self.tern.ports["smtp" if i % 2 else "pop3"]
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            self.addCleanup(s.close)
            clients.append(s)
        # Each sends a byte of a command now and then, more slowly than command_timeout allows.
        for byte in (b"N", b"O"):
            for s in clients:
                try:
                    s.sendall(byte)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # already timed out while the others were being opened
            time.sleep(0.5)
        peak = rss_kib(self.tern.process.pid)
        closed = count_closed_by_server(clients, COMMAND_TIMEOUT + 15)
        self.assertEqual(closed, len(clients))
        growth_mib = (peak - before) / 1024
        self.assertLess(growth_mib, 100, f"RSS grew {growth_mib:.0f} MiB for {len(clients)} slow clients")
        # Nothing is left holding a slot: a new client is served.
        c = self.smtp()
        self.assertEqual(c.cmd("NOOP")[0], 250)


if __name__ == "__main__":
    unittest.main()
