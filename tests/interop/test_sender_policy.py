"""Sender policy for authenticated users (docs/smtp.md "Sender policy"):
the envelope sender and every From: address must be the account's own
address or an alias that reaches it; [submission] sender_policy and
domain_sender_policy widen that to the account's domain or to anything."""
import smtplib
import unittest

from harness import Tern, insecure_tls_context, messages, submit

DOMAIN = "example.test"


def message(sender, subject, to=f"bob@{DOMAIN}"):
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nHello.\r\n".encode()


class SenderPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "submission"),
                        extra='[submission.domain_sender_policy]\n"team.test" = "domain"\n"gateway.test" = "any"\n')
        t = cls.tern
        for user in ("alice", "bob"):
            t.add_user(f"{user}@{DOMAIN}", f"{user}-pw")
        t.cli("alias", "add", f"info@{DOMAIN}", f"alice@{DOMAIN}")
        t.add_user("carol@team.test", "carol-pw")
        t.add_user("relay@gateway.test", "relay-pw")
        t.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.tern.stop()
            assert code == 0, f"tern exited {code}:\n{cls.tern.read_log()}"
        finally:
            cls.tern.close()

    def submit(self, user, password, envelope_from, raw, to=(f"bob@{DOMAIN}",)):
        submit(self.tern, user, password, envelope_from, to, raw)

    def delivered(self, subject):
        return any(f"Subject: {subject}\r\n".encode() in m for m in messages(self.tern, f"bob@{DOMAIN}"))

    def assert_refused(self, user, password, envelope_from, sender, subject, says):
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.submit(user, password, envelope_from, message(sender, subject))
        self.assertEqual(refused.exception.smtp_code, 553)
        self.assertIn(b"5.7.1", refused.exception.smtp_error)
        self.assertIn(says.encode(), refused.exception.smtp_error)
        self.assertFalse(self.delivered(subject), "nothing of a refused message is delivered")

    def test_someone_elses_name_in_from_is_refused(self):
        self.assert_refused(f"alice@{DOMAIN}", "alice-pw", f"alice@{DOMAIN}", f"Bob <bob@{DOMAIN}>", "spoof bob",
                            f"From: <bob@{DOMAIN}> is not an address of alice@{DOMAIN}")
        self.assertIn("event=from_refused from=bob@example.test user=alice@example.test", self.tern.read_log())

    def test_a_foreign_domain_in_from_is_refused(self):
        self.assert_refused(f"alice@{DOMAIN}", "alice-pw", f"alice@{DOMAIN}", "CEO <ceo@bank.example>", "spoof ceo",
                            "From: <ceo@bank.example>")

    def test_one_foreign_address_among_several_is_refused(self):
        self.assert_refused(f"alice@{DOMAIN}", "alice-pw", f"alice@{DOMAIN}",
                            f"alice@{DOMAIN}, bob@{DOMAIN}", "two froms", f"<bob@{DOMAIN}>")

    def test_an_address_hidden_in_comments_is_still_checked(self):
        self.assert_refused(f"alice@{DOMAIN}", "alice-pw", f"alice@{DOMAIN}",
                            f"<bob (hi) @ (there) {DOMAIN}>", "obscured", f"<bob@{DOMAIN}>")

    def test_own_address_and_aliases_are_allowed(self):
        self.submit(f"alice@{DOMAIN}", "alice-pw", f"alice@{DOMAIN}", message(f"Alice <ALICE@{DOMAIN}>", "own"))
        self.submit(f"alice@{DOMAIN}", "alice-pw", f"info@{DOMAIN}", message(f"Info <info@{DOMAIN}>", "alias"))
        self.assertTrue(self.delivered("own"))
        self.assertTrue(self.delivered("alias"))

    def test_envelope_sender_is_checked_at_mail_from(self):
        with smtplib.SMTP("127.0.0.1", self.tern.ports["submission"], timeout=20) as s:
            s.starttls(context=insecure_tls_context())
            s.login(f"alice@{DOMAIN}", "alice-pw")
            code, text = s.mail(f"bob@{DOMAIN}")
            self.assertEqual(code, 553, text)
            self.assertIn(b"5.7.1", text)

    def test_domain_policy_allows_the_accounts_domain_only(self):
        self.submit("carol@team.test", "carol-pw", "dave@team.test", message("Dave <dave@team.test>", "team wide"))
        self.assertTrue(self.delivered("team wide"))
        self.assert_refused("carol@team.test", "carol-pw", "carol@team.test", f"bob@{DOMAIN}", "team spoof",
                            f"From: <bob@{DOMAIN}>")

    def test_any_policy_lets_a_gateway_send_for_others(self):
        self.submit("relay@gateway.test", "relay-pw", "someone@elsewhere.test",
                    message("Someone <someone@elsewhere.test>", "via gateway"))
        self.assertTrue(self.delivered("via gateway"))

    def test_port_25_mail_is_not_subject_to_it(self):
        with smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=20) as s:
            s.sendmail("someone@origin.test", [f"bob@{DOMAIN}"], message("Someone <ceo@bank.example>", "inbound"))
        self.assertTrue(self.delivered("inbound"))


if __name__ == "__main__":
    unittest.main()
