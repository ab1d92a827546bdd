"""SMTP byte by byte: a raw socket with hand-written CRLFs against a running
tern. Pipelining, talking before the greeting, SMTP smuggling, overlong and
NUL-bearing lines, BDAT chunking, STARTTLS command injection, the error limit,
and a well-behaved session that keeps being served next to the bad ones."""
import base64
import smtplib
import socket
import unittest

from harness import RawSmtp, Tern, fetch, insecure_tls_context, mailbox_count, messages

ALICE = "alice@example.test"
BOB = "bob@example.test"
SMUGGLE_ENDINGS = [b"\n.\n", b"\r.\r\n", b"\n.\r\n", b"\r\n.\n", b"\r\n.\r"]


class SmtpRaw(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "submissions"))
        cls.tern.add_user(ALICE, "alice-pw")
        cls.tern.add_user(BOB, "bob-pw")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.tern.stop()
            assert code == 0, f"tern exited {code}:\n{cls.tern.read_log()}"
        finally:
            cls.tern.close()

    def connect(self, greeting=True):
        c = RawSmtp(self.tern.ports["smtp"], greeting=greeting)
        self.addCleanup(c.close)
        return c

    def session(self):
        c = self.connect()
        code, _ = c.cmd("EHLO client.origin.test")
        self.assertEqual(code, 250)
        return c

    def assert_reply(self, got, code, enhanced=None):
        self.assertEqual(got[0], code, got)
        if enhanced:
            self.assertTrue(got[1].startswith(enhanced + " "), got)

    def count(self, address=ALICE):
        return mailbox_count(self.tern, address)

    def test_pipelined_transaction_replies_in_order(self):
        before = self.count()
        c = self.session()
        c.send(f"MAIL FROM:<p@origin.test>\r\nRCPT TO:<{ALICE}>\r\nRCPT TO:<nobody@example.test>\r\n"
               f"RCPT TO:<{ALICE}>\r\nDATA\r\n")
        self.assert_reply(c.reply(), 250, "2.1.0")
        self.assert_reply(c.reply(), 250, "2.1.5")
        self.assert_reply(c.reply(), 550, "5.1.1")
        self.assert_reply(c.reply(), 250, "2.1.5")
        self.assert_reply(c.reply(), 354)
        # Text, end of data, and the next transaction, all in one write.
        c.send(b"Subject: pipelined\r\n\r\n..dot-stuffed line\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.reply(), 221, "2.0.0")
        self.assertTrue(c.closed())
        self.assertEqual(self.count(), before + 1)
        self.assertTrue(messages(self.tern, ALICE)[-1].endswith(b"\r\n\r\n.dot-stuffed line\r\n"))
        # A client that does not wait for the 354 (the text right behind DATA, in the same write).
        c = self.session()
        c.send(f"MAIL FROM:<p@origin.test>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\nSubject: eager\r\n\r\n"
               f"RSET\r\n.\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(5)], [250, 250, 354, 250, 221])
        self.assertEqual(self.count(), before + 2)
        self.assertTrue(messages(self.tern, ALICE)[-1].endswith(b"Subject: eager\r\n\r\nRSET\r\n"))

    def test_thousands_of_pipelined_commands(self):
        c = self.session()
        c.send("NOOP\r\n" * 3000 + "RSET\r\n")
        for _ in range(3000):
            self.assertEqual(c.reply(), (250, "2.0.0 Ok"))
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_auth_exchange_edge_cases(self):
        def tls_session():
            c = RawSmtp(self.tern.ports["submissions"], greeting=False)
            self.addCleanup(c.close)
            c.sock = insecure_tls_context().wrap_socket(c.sock, server_hostname="mail.example.test")
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(c.cmd("EHLO client.origin.test")[0], 250)
            return c

        def b64(text):
            return base64.b64encode(text.encode()).decode()

        c = tls_session()
        # An authorization identity other than the authenticated one is not granted.
        self.assert_reply(c.cmd("AUTH PLAIN " + b64(f"{BOB}\0{ALICE}\0alice-pw")), 535, "5.7.8")
        self.assert_reply(c.cmd("MAIL FROM:<alice@example.test>"), 530, "5.7.0")
        self.assert_reply(c.cmd("AUTH PLAIN"), 334)
        self.assert_reply(c.cmd("*"), 501)  # cancelled
        self.assert_reply(c.cmd("AUTH LOGIN"), 334)
        self.assert_reply(c.cmd("!!not base64!!"), 501, "5.5.2")
        self.assert_reply(c.cmd("AUTH CRAM-MD5"), 504)
        self.assert_reply(c.cmd("AUTH PLAIN " + "A" * 13000), 500, "5.5.2")
        # Then the same session authenticates (user name case-insensitive), LOGIN step by step.
        self.assert_reply(c.cmd("AUTH LOGIN"), 334)
        self.assert_reply(c.cmd(b64("ALICE@Example.Test")), 334)
        self.assert_reply(c.cmd(b64("alice-pw")), 235, "2.7.0")
        # An account sends only as itself (docs/smtp.md), or with the null reverse-path.
        self.assert_reply(c.cmd(f"MAIL FROM:<{BOB}>"), 553, "5.7.1")
        self.assert_reply(c.cmd("MAIL FROM:<>"), 250)
        self.assert_reply(c.cmd("RSET"), 250)
        self.assert_reply(c.cmd(f"MAIL FROM:<{ALICE.upper()}>"), 250)
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_client_talking_before_greeting_is_refused(self):
        # tern has no greet pause, so whether the bytes arrive before the
        # greeting is a race; each try must be handled correctly either way,
        # and early talk must be caught at least once.
        caught = 0
        for _ in range(20):
            c = RawSmtp(self.tern.ports["smtp"], greeting=False)
            c.send(b"EHLO early.origin.test\r\nMAIL FROM:<early@origin.test>\r\n")
            code, text = c.reply()
            if code == 554:
                self.assertTrue(text.startswith("5.7.0 "), text)
                self.assertTrue(c.closed(), "connection left open after 554")
                caught += 1
            else:
                self.assertEqual(code, 220, text)
                self.assertEqual(c.reply()[0], 250)
                self.assertEqual(c.reply()[0], 250)
            c.close()
            if caught >= 3:
                break
        self.assertGreaterEqual(caught, 1)

    def test_smtp_smuggling_is_refused(self):
        before = {a: self.count(a) for a in (ALICE, BOB)}
        for ending in SMUGGLE_ENDINGS:
            with self.subTest(ending=ending):
                c = self.session()
                c.send(f"MAIL FROM:<outer@origin.test>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
                self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 354])
                c.send(b"Subject: outer\r\n\r\nouter text" + ending +
                       f"MAIL FROM:<evil@x>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\nsmuggled\r\n.\r\n".encode() +
                       b"\r\n.\r\n")
                self.assert_reply(c.reply(), 550, "5.6.0")
                # What follows the real end are two junk command lines (500 each); never a
                # 250 or 354 to a smuggled command.
                c.send("NOOP\r\n")
                while True:
                    code, text = c.reply()
                    if code == 250:
                        self.assertEqual(text, "2.0.0 Ok")
                        break
                    self.assertEqual(code, 500, text)
                self.assert_reply(c.cmd("QUIT"), 221)
        self.assertEqual({a: self.count(a) for a in (ALICE, BOB)}, before)
        for address in (ALICE, BOB):
            for raw in messages(self.tern, address):
                self.assertNotIn(b"smuggled", raw)
                self.assertNotIn(b"evil@x", raw)

    def test_overlong_command_line_and_session_continues(self):
        c = self.session()
        self.assert_reply(c.cmd("NOOP " + "x" * 600), 500, "5.5.2")
        self.assert_reply(c.cmd("NOOP"), 250)
        # A huge line in pieces, never buffered whole, never interpreted.
        c.send("MAIL FROM:<a@origin.test> " + "A" * 5000)
        for _ in range(20):
            c.send("B" * 5000)
        c.send("\r\n")
        self.assert_reply(c.reply(), 500, "5.5.2")
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")  # the MAIL was not taken
        self.assert_reply(c.cmd("MAIL FROM:<a@origin.test>"), 250)
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 250)
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_line_length_limit_in_message_text(self):
        before = self.count()
        for length, accepted in ((998, True), (999, False), (5000, False)):
            with self.subTest(length=length):
                c = self.session()
                c.send(f"MAIL FROM:<a@origin.test>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
                self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 354])
                c.send(b"Subject: long\r\n\r\n" + b"y" * length + b"\r\nshort\r\n.\r\n")
                if accepted:
                    self.assert_reply(c.reply(), 250, "2.0.0")
                else:
                    self.assert_reply(c.reply(), 550, "5.6.0")
                self.assert_reply(c.cmd("NOOP"), 250)
                c.cmd("QUIT")
        self.assertEqual(self.count(), before + 1)
        self.assertIn(b"\r\n" + b"y" * 998 + b"\r\nshort\r\n", messages(self.tern, ALICE)[-1])

    def test_nul_bytes_in_commands(self):
        c = self.session()
        self.assert_reply(c.cmd("NOOP\0"), 500, "5.5.2")
        self.assert_reply(c.cmd("MAIL FROM:<a\0b@origin.test>"), 500, "5.5.2")
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        self.assert_reply(c.cmd("MAIL FROM:<a@origin.test>"), 250)
        self.assert_reply(c.cmd(f"RCPT TO:<ali\0ce@example.test>"), 500, "5.5.2")
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_too_many_errors_closes_with_421(self):
        c = self.session()
        c.send("BOGUS\r\n" * 15)
        for _ in range(10):
            self.assert_reply(c.reply(), 500)
        self.assert_reply(c.reply(), 421, "4.7.0")
        self.assertTrue(c.closed())

    def test_bdat_chunks_are_stored_verbatim(self):
        before = self.count()
        c = self.session()
        self.assert_reply(c.cmd("MAIL FROM:<chunky@origin.test> BODY=8BITMIME"), 250)
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 250)
        one = b"Subject: chunked\r\n\r\nfirst\r\n.\r\n..two dots\r\n"
        two = b"MAIL FROM:<inside@chunk>\r\n.\r\n"
        three = "last line äö\r\n".encode()
        c.send(b"BDAT %d\r\n" % len(one) + one)
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.cmd("DATA"), 503, "5.5.1")  # no DATA once BDAT began
        c.send(b"BDAT %d\r\n" % len(two) + two + b"BDAT %d LAST\r\n" % len(three) + three)  # pipelined
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assert_reply(c.reply(), 250, "2.0.0")
        self.assertEqual(self.count(), before + 1)
        raw = messages(self.tern, ALICE)[-1]
        self.assertTrue(raw.endswith(b"\r\n" + one + two + three), raw)
        # BDAT 0 LAST after a first chunk; then a chunk with a bare LF is refused like DATA's.
        self.assert_reply(c.cmd("MAIL FROM:<chunky@origin.test>"), 250)
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 250)
        bare = b"Subject: z\r\n\r\nbody\n\r\n"
        c.send(b"BDAT %d\r\n" % len(bare) + bare)
        self.assert_reply(c.reply(), 250)
        self.assert_reply(c.cmd("BDAT 0 LAST"), 550, "5.6.0")
        self.assertEqual(self.count(), before + 1)
        self.assert_reply(c.cmd("BDAT many LAST"), 501, "5.5.4")
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_starttls_discards_pipelined_commands(self):
        c = self.session()
        c.send(b"STARTTLS\r\nMAIL FROM:<injected@origin.test>\r\n")
        self.assert_reply(c.reply(), 220, "2.0.0")
        c.starttls()
        self.assert_reply(c.cmd("MAIL FROM:<a@origin.test>"), 503, "5.5.1")  # RFC 3207 4.2: EHLO again first
        code, text = c.cmd("EHLO client.origin.test")
        self.assertEqual(code, 250)
        self.assertTrue(text.startswith("mail.example.test"), text)
        self.assert_reply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        self.assert_reply(c.cmd("QUIT"), 221)

    def test_server_keeps_serving_next_to_bad_sessions(self):
        bad = []
        c = self.session()  # stuck in the middle of an endless text line
        c.send(f"MAIL FROM:<a@origin.test>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        self.assertEqual([c.reply()[0] for _ in range(3)], [250, 250, 354])
        c.send(b"z" * 200000)
        bad.append(c)
        c = self.session()  # an unterminated command line
        c.send(b"HELO " + b"h" * 100000)
        bad.append(c)
        bad.append(self.connect())  # silent after the greeting
        tls = socket.create_connection(("127.0.0.1", self.tern.ports["submissions"]), timeout=5)
        self.addCleanup(tls.close)
        tls.sendall(b"\x16\x03\x01\x00\xff garbage, not a ClientHello")  # a broken TLS handshake
        before = self.count(BOB)
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=10)
        self.addCleanup(s.close)
        self.assertEqual(s.sendmail("good@origin.test", [BOB], b"Subject: still here\r\n\r\nok\r\n"), {})
        s.quit()
        self.assertEqual(self.count(BOB), before + 1)
        self.assertIn(b"Subject: still here", fetch(self.tern, BOB, before + 1))
        # The stuck sessions are still coherent.
        bad[0].send(b"\r\n.\r\n")
        self.assert_reply(bad[0].reply(), 550, "5.6.0")
        bad[1].send(b"\r\n")
        self.assert_reply(bad[1].reply(), 500, "5.5.2")
        self.assert_reply(bad[2].cmd("NOOP"), 250)
        self.assertEqual(self.count(BOB), before + 1)


if __name__ == "__main__":
    unittest.main()
