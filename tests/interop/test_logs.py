"""The log of a running tern, as an operator reads it: levels are named as
the config names them (log_level = "warn" gives "level=warn" lines), every
session logs one connect and one disconnect whatever its protocol, every
refusal leaves one line with its reply code, and a server started as root
without `user` says loudly that it runs as root."""
import imaplib
import os
import re
import time
import unittest

from harness import RawPop3, RawSmtp, Tern


class Logs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "submission", "pop3", "imap"),
                        extra="[auth]\nallow_plaintext_loopback = true\n")
        cls.tern.add_user("alice@example.test", "alice-pw")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, cls.tern.read_log()
        finally:
            cls.tern.close()

    def wait_for(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.tern.read_log()
            if re.search(pattern, log):
                return log
            time.sleep(0.05)
        self.fail(f"no {pattern!r} in the log:\n{self.tern.read_log()}")

    def test_level_names_are_the_configs(self):
        # A refused connection is a warning; "warning" is spdlog's name, not the config's.
        log = self.tern.read_log()
        self.assertNotIn("level=warning", log)
        self.assertNotIn("level=err ", log)
        if os.geteuid() == 0:
            self.assertRegex(log, r"level=warn event=running_as_root advice=")

    def test_imap_session_logs_connect_and_disconnect_once(self):
        before = self.tern.read_log()
        imap = imaplib.IMAP4("127.0.0.1", self.tern.ports["imap"])
        imap.login("alice@example.test", "alice-pw")
        imap.logout()
        log = self.wait_for(r"session=\d+ event=disconnect", timeout=5)
        new = log[len(before):]
        connects = re.findall(r"session=(\d+) event=connect protocol=imap ", new)
        self.assertEqual(len(connects), 1, new)
        session = connects[0]
        self.wait_for(rf"session={session} event=disconnect")
        new = self.tern.read_log()[len(before):]
        self.assertEqual(len(re.findall(rf"session={session} event=connect\b", new)), 1, new)
        self.assertEqual(len(re.findall(rf"session={session} event=disconnect\b", new)), 1, new)

    def test_every_smtp_refusal_is_logged_with_its_code(self):
        c = RawSmtp(self.tern.ports["smtp"])
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("EHLO client.example.test")[0], 250)
        code, _ = c.cmd("MAIL FROM:<j\u00f6rg@example.net>")
        self.assertEqual(code, 553)
        self.wait_for(r'event=refused reply="553 5\.6\.7 A non-ASCII sender address')
        code, _ = c.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(code, 503)
        self.wait_for(r'event=refused reply="503 5\.5\.1 ')
        # Submission: MAIL before AUTH.
        s = RawSmtp(self.tern.ports["submission"])
        self.addCleanup(s.close)
        self.assertEqual(s.cmd("EHLO client.example.test")[0], 250)
        code, _ = s.cmd("MAIL FROM:<alice@example.test>")
        self.assertEqual(code, 530)
        self.wait_for(r'event=refused reply="530 5\.7\.0 ')

    def test_pop3_refusal_is_logged(self):
        p = RawPop3(self.tern.ports["pop3"])
        self.addCleanup(p.close)
        self.assertTrue(p.cmd("STAT").startswith("-ERR"))
        self.wait_for(r'event=refused reply="-ERR ')


if __name__ == "__main__":
    unittest.main()
