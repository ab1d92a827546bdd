"""One user never sees another user's mail, and never sends as another user
(DESIGN.md rule 5), checked against a running tern: POP3 maildrops hold only
the logged-in account's INBOX whatever message number is asked for, and SMTP
submission refuses a MAIL FROM of another account, of another account's alias
or catch-all, and a SASL authorization identity other than one's own."""
import base64
import poplib
import smtplib
import unittest

from harness import RawPop3, RawSmtp, Tern, deliver_local, insecure_tls_context, mailbox_count

DOMAIN = "example.test"
ALICE, BOB, CAROL = (f"{u}@{DOMAIN}" for u in ("alice", "bob", "carol"))
PASSWORDS = {ALICE: "alice-pw-1", BOB: "bob-pw-2", CAROL: "carol-pw-3"}
# Message numbers beyond a small maildrop, up to ones that overflow 32 and 64 bits.
FOREIGN_NUMBERS = ["5", "8", "9", "10", "100", "4294967295", "4294967296", "18446744073709551617"]


class Pop3Isolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "pop3s"))
        for address, password in PASSWORDS.items():
            cls.tern.add_user(address, password)
        cls.tern.start()
        # alice: 3 of her own; bob: 8 of his own; one message to both; carol: none.
        deliver_local(cls.tern, ALICE, [f"only-alice-{i}" for i in range(3)])
        deliver_local(cls.tern, BOB, [f"only-bob-{i}" for i in range(8)])
        with smtplib.SMTP("127.0.0.1", cls.tern.ports["smtp"], timeout=30) as s:
            s.sendmail("x@origin.test", [ALICE, BOB], b"Subject: shared-note\r\n\r\nto both\r\n")
        assert mailbox_count(cls.tern, ALICE) == 4 and mailbox_count(cls.tern, BOB) == 9

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, cls.tern.read_log()
        finally:
            cls.tern.close()

    def login(self, user, password=None):
        pop = poplib.POP3_SSL("127.0.0.1", self.tern.ports["pop3s"], context=insecure_tls_context(), timeout=20)
        self.addCleanup(pop.close)
        pop.user(user)
        pop.pass_(password or PASSWORDS[user.lower()])
        return pop

    def raw_login(self, user):
        raw = RawPop3(self.tern.ports["pop3s"], tls=True)
        self.addCleanup(raw.close)
        self.assertTrue(raw.cmd(f"USER {user}").startswith("+OK"))
        self.assertTrue(raw.cmd(f"PASS {PASSWORDS[user]}").startswith("+OK"))
        return raw

    def subjects(self, pop):
        count, _ = pop.stat()
        out = []
        for n in range(1, count + 1):
            lines = pop.retr(n)[1]
            out += [line.decode() for line in lines if line.startswith(b"Subject:")]
            top = pop.top(n, 0)[1]
            self.assertEqual([line for line in top if line.startswith(b"Subject:")],
                             [line for line in lines if line.startswith(b"Subject:")])
        return out

    def test_each_user_sees_only_its_own_inbox(self):
        expected = {
            ALICE: sorted([f"Subject: only-alice-{i}" for i in range(3)] + ["Subject: shared-note"]),
            BOB: sorted([f"Subject: only-bob-{i}" for i in range(8)] + ["Subject: shared-note"]),
            CAROL: [],
        }
        for user, subjects in expected.items():
            pop = self.login(user)
            self.assertEqual(pop.stat()[0], len(subjects), user)
            self.assertEqual(len(pop.list()[1]), len(subjects), user)
            self.assertEqual(len(pop.uidl()[1]), len(subjects), user)
            self.assertEqual(sorted(self.subjects(pop)), subjects, user)
            pop.quit()

    def test_user_name_case_does_not_open_another_maildrop(self):
        pop = self.login(ALICE.upper(), PASSWORDS[ALICE])
        self.assertEqual(sorted(self.subjects(pop)),
                         sorted([f"Subject: only-alice-{i}" for i in range(3)] + ["Subject: shared-note"]))
        pop.quit()

    def test_numbers_beyond_own_maildrop_are_refused(self):
        for user in (ALICE, CAROL):
            for number in FOREIGN_NUMBERS + ["0", "-1"]:
                # A fresh session per number: refusals count towards the bad-command limit.
                raw = self.raw_login(user)
                for command in (f"RETR {number}", f"TOP {number} 0", f"LIST {number}", f"UIDL {number}"):
                    reply = raw.cmd(command)
                    self.assertTrue(reply.startswith("-ERR"), (user, command, reply))
                self.assertEqual(raw.cmd("QUIT")[:3], "+OK")
                raw.close()
        # Nothing of bob's was touched by those attempts either.
        self.assertEqual(mailbox_count(self.tern, BOB), 9)

    def test_dele_beyond_own_maildrop_touches_nobody(self):
        raw = self.raw_login(CAROL)
        for number in FOREIGN_NUMBERS[:4]:
            self.assertTrue(raw.cmd(f"DELE {number}").startswith("-ERR"), number)
        self.assertEqual(raw.cmd("QUIT")[:3], "+OK")
        self.assertTrue(raw.closed())
        self.assertEqual((mailbox_count(self.tern, ALICE), mailbox_count(self.tern, BOB)), (4, 9))

    def test_deleting_a_shared_message_keeps_the_other_copy(self):
        # A dedicated pair so the counts of the other tests stay fixed.
        dave, erin = f"dave@{DOMAIN}", f"erin@{DOMAIN}"
        for user in (dave, erin):
            self.tern.add_user(user, "pw-" + user)
            PASSWORDS[user] = "pw-" + user
        with smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=30) as s:
            s.sendmail("x@origin.test", [dave, erin], b"Subject: one-blob\r\n\r\nsame bytes\r\n")
        self.assertEqual(self.tern.wait_for_messages(erin, 1), 1)
        pop = self.login(dave)
        self.assertEqual(pop.stat()[0], 1)
        pop.dele(1)
        pop.quit()
        self.assertEqual((mailbox_count(self.tern, dave), mailbox_count(self.tern, erin)), (0, 1))
        pop = self.login(erin)
        self.assertEqual(self.subjects(pop), ["Subject: one-blob"])
        pop.quit()


class SubmissionIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("submissions",))
        for address, password in PASSWORDS.items():
            cls.tern.add_user(address, password)
        cls.tern.cli("domain", "add", "other.test")
        cls.tern.cli("alias", "add", f"sales@{DOMAIN}", BOB)       # bob's alias
        cls.tern.cli("alias", "add", f"help@{DOMAIN}", ALICE)      # alice's own alias
        cls.tern.cli("alias", "add", "@other.test", BOB)           # bob's catch-all
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, cls.tern.read_log()
        finally:
            cls.tern.close()

    def connect(self):
        """A raw SMTP session on the implicit-TLS listener, after EHLO."""
        c = RawSmtp(self.tern.ports["submissions"], timeout=20, greeting=False)
        self.addCleanup(c.close)
        c.starttls()
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO client.example.test")[0], 250)
        return c

    def session_as_alice(self):
        c = self.connect()
        blob = base64.b64encode(f"\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode()
        self.assertEqual(c.cmd(f"AUTH PLAIN {blob}")[0], 235)
        return c

    def test_mail_from_another_account_553(self):
        c = self.session_as_alice()
        for sender in (BOB, BOB.upper(), f"sales@{DOMAIN}", "anything@other.test", CAROL):
            code, text = c.cmd(f"MAIL FROM:<{sender}>")
            self.assertEqual((code, text[:6]), (553, "5.7.1 "), sender)
        # Her own address and her own alias are fine, and the session carried on.
        for sender in (ALICE, f"help@{DOMAIN}"):
            self.assertEqual(c.cmd(f"MAIL FROM:<{sender}>")[0], 250, sender)
            self.assertEqual(c.cmd("RSET")[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)

    def test_authorization_identity_of_another_user_refused(self):
        c = self.connect()
        # alice's right password, asking to act as bob (RFC 4616 authzid).
        blob = base64.b64encode(f"{BOB}\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode()
        code, _ = c.cmd(f"AUTH PLAIN {blob}")
        self.assertGreaterEqual(code, 500)
        self.assertEqual(c.cmd(f"MAIL FROM:<{BOB}>")[0] // 100, 5)


if __name__ == "__main__":
    unittest.main()
