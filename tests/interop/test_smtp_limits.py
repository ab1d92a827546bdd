"""SMTP limits with a running tern: message size (SIZE= and actual text),
recipient count, command timeout ([limits] in the config), and login
throttling against password guessing."""
import smtplib
import threading
import time
import unittest

from harness import RawSmtp, Tern, insecure_tls_context, mailbox_count, messages

DOMAIN = "example.test"


class SmtpLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp",), extra='[limits]\nmax_message_size = "64K"\nmax_recipients = 3\n'
                                                  'command_timeout = "2s"\n')
        for user in ("r1", "r2", "r3", "r4"):
            cls.tern.add_user(f"{user}@{DOMAIN}", f"{user}-pw")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.tern.stop()
            assert code == 0, f"tern exited {code}:\n{cls.tern.read_log()}"
        finally:
            cls.tern.close()

    def session(self):
        c = RawSmtp(self.tern.ports["smtp"])
        self.addCleanup(c.close)
        code, text = c.cmd("EHLO client.origin.test")
        self.assertEqual(code, 250)
        self.assertIn("SIZE 65536", text)
        return c

    def count(self, user):
        return mailbox_count(self.tern, f"{user}@{DOMAIN}")

    def test_declared_size_over_limit_552(self):
        c = self.session()
        code, text = c.cmd("MAIL FROM:<a@origin.test> SIZE=65537")
        self.assertEqual(code, 552, text)
        self.assertTrue(text.startswith("5.3.4 "), text)
        self.assertEqual(c.cmd("MAIL FROM:<a@origin.test> SIZE=65536")[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)

    def test_oversize_text_552_and_nothing_stored(self):
        before = self.count("r1")
        c = self.session()
        c.send(f"MAIL FROM:<a@origin.test>\r\nRCPT TO:<r1@{DOMAIN}>\r\nDATA\r\n")
        self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 354])
        line = b"o" * 78 + b"\r\n"
        c.send(b"Subject: big\r\n\r\n" + line * 1000 + b".\r\n")  # 80 000 octets
        code, text = c.reply()
        self.assertEqual((code, text[:6]), (552, "5.3.4 "), text)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        # The same through BDAT.
        c.send(f"MAIL FROM:<a@origin.test>\r\nRCPT TO:<r1@{DOMAIN}>\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 250])
        big = b"Subject: big\r\n\r\n" + line * 1000
        c.send(b"BDAT %d LAST\r\n" % len(big) + big)
        code, text = c.reply()
        self.assertEqual((code, text[:6]), (552, "5.3.4 "), text)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertEqual(self.count("r1"), before)
        # Just under the limit is fine.
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=10)
        self.addCleanup(s.close)
        self.assertEqual(s.sendmail("a@origin.test", [f"r1@{DOMAIN}"], b"Subject: fits\r\n\r\n" + line * 800), {})
        s.quit()
        self.assertEqual(self.count("r1"), before + 1)

    def test_too_many_recipients_452(self):
        before = {u: self.count(u) for u in ("r1", "r2", "r3", "r4")}
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<a@origin.test>")[0], 250)
        for user in ("r1", "r2", "r3"):
            self.assertEqual(c.cmd(f"RCPT TO:<{user}@{DOMAIN}>")[0], 250)
        code, text = c.cmd(f"RCPT TO:<r4@{DOMAIN}>")
        self.assertEqual((code, text[:6]), (452, "4.5.3 "), text)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: three\r\n\r\nonly three\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        after = {u: self.count(u) for u in before}
        self.assertEqual(after, {"r1": before["r1"] + 1, "r2": before["r2"] + 1, "r3": before["r3"] + 1,
                                 "r4": before["r4"]})

    def test_command_timeout_421(self):
        before = self.count("r2")
        idle = RawSmtp(self.tern.ports["smtp"])
        self.addCleanup(idle.close)
        mid_data = self.session()
        mid_data.send(f"MAIL FROM:<a@origin.test>\r\nRCPT TO:<r2@{DOMAIN}>\r\nDATA\r\n")
        self.assertEqual([mid_data.reply()[0] for _ in range(3)], [250, 250, 354])
        mid_data.send(b"Subject: never finished\r\n\r\nhalf a messa")
        start = time.monotonic()
        for c in (idle, mid_data):
            c.sock.settimeout(6)
            code, text = c.reply()
            self.assertEqual((code, text[:6]), (421, "4.4.2 "), text)
            self.assertTrue(c.closed(timeout=3))
        elapsed = time.monotonic() - start
        self.assertGreater(elapsed, 1.5)
        self.assertLess(elapsed, 5)
        self.assertEqual(self.count("r2"), before)


class SmtpLoginThrottle(unittest.TestCase):
    """Ten wrong passwords from one address block that address (also for the
    right password); the server stays up and serves everyone else."""

    def setUp(self):
        self.tern = Tern(protocols=("smtp", "submissions"))
        self.tern.add_user(f"eve@{DOMAIN}", "eve-right-pw")
        self.tern.start()

    def tearDown(self):
        try:
            code = self.tern.stop()
            self.assertEqual(code, 0, self.tern.read_log())
        finally:
            self.tern.close()

    def login(self, password, source="127.0.0.1"):
        s = smtplib.SMTP_SSL("127.0.0.1", self.tern.ports["submissions"], timeout=20,
                             context=insecure_tls_context(), source_address=(source, 0))
        try:
            s.ehlo()
            try:
                code, text = s.login(f"eve@{DOMAIN}", password)
            except smtplib.SMTPAuthenticationError as e:
                code, text = e.smtp_code, e.smtp_error
            s.quit()
            return code, text
        finally:
            s.close()

    def test_password_guessing_is_throttled(self):
        results = []

        def guess(i):
            results.append(self.login(f"wrong-{i}"))

        # In parallel: each failure makes its session wait (doubling delays), so one by one takes ~30 s.
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(len(results), 10)
        for code, text in results:
            self.assertEqual((code, text[:5]), (535, b"5.7.8"), text)
        # Now even the right password is refused from this address ...
        code, text = self.login("eve-right-pw")
        self.assertEqual(code, 535, text)
        # ... but not from another one (127.0.0.2 is loopback too), and plain SMTP still delivers.
        code, text = self.login("eve-right-pw", source="127.0.0.2")
        self.assertEqual(code, 235, text)
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=10)
        self.addCleanup(s.close)
        self.assertEqual(s.sendmail("a@origin.test", [f"eve@{DOMAIN}"], b"Subject: hi\r\n\r\nstill up\r\n"), {})
        s.quit()
        self.assertEqual(mailbox_count(self.tern, f"eve@{DOMAIN}"), 1)
        self.assertIn(b"still up", messages(self.tern, f"eve@{DOMAIN}")[0])
        self.assertIn("event=auth_throttled", self.tern.read_log())


if __name__ == "__main__":
    unittest.main()
