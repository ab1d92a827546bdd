"""SPF (RFC 7208) and DMARC (RFC 7489) on port 25, end to end: a private
dnsmasq publishes SPF, DKIM and DMARC records; tern A relays its user's
mail to tern B, which finds dkim, spf and dmarc all passing. Mail forged
in A's name, sent to B straight from another address (127.0.0.2), is
refused under p=reject and lands in Junk under p=quarantine; mail that
claims B's own domain without authentication is refused; a DNS failure
never turns into a refusal. B trusts no network here, so loopback clients
get the policy too (by default the host's own programs are exempt)."""
import re
import smtplib
import time
import unittest

from harness import DNSMASQ, Dnsmasq, Tern, dkim_records, messages, submit, use_dns


@unittest.skipUnless(DNSMASQ, "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)")
class SpfDmarc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Tern(protocols=("smtp",), hostname="mail.b.test", extra="")
        cls.b.add_user("bob@b.test", "bob-pw")
        cls.a = Tern(protocols=("submission",), hostname="mail.a.test",
                     extra=f'[relay.routes]\n"b.test" = "127.0.0.1:{cls.b.ports["smtp"]}"\n')
        cls.a.add_user("alice@a.test", "alice-pw")

        txt = dkim_records(cls.a, "a.test")
        txt.update({
            "a.test": "v=spf1 ip4:127.0.0.1 -all",
            "_dmarc.a.test": "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@a.test",
            "q.test": "v=spf1 ip4:127.0.0.1 -all",
            "_dmarc.q.test": "v=DMARC1; p=quarantine",
            "n.test": "v=spf1 ?all",
            "soft.test": "v=spf1 ~all",
            "_dmarc.soft.test": "v=DMARC1; p=reject; pct=0",
        })
        cls.dns = Dnsmasq(txt=txt, local_domains=["a.test", "q.test", "n.test", "soft.test", "b.test"])
        use_dns(cls.b, cls.dns, '[inbound]\ntrusted_networks = []\n')
        cls.b.start()
        cls.a.start()

    @classmethod
    def tearDownClass(cls):
        try:
            for t in (cls.a, cls.b):
                code = t.stop()
                assert code == 0, f"tern exited {code}:\n{t.read_log()}"
        finally:
            cls.a.close()
            cls.b.close()
            cls.dns.stop()

    def send_to_b(self, sender, raw, source="127.0.0.2"):
        with smtplib.SMTP("127.0.0.1", self.b.ports["smtp"], timeout=20, source_address=(source, 0)) as s:
            s.sendmail(sender, ["bob@b.test"], raw)

    def arrived(self, subject, mailbox="INBOX"):
        deadline = time.time() + 30
        while time.time() < deadline:
            for raw in messages(self.b, "bob@b.test", mailbox):
                if f"Subject: {subject}\r\n".encode() in raw:
                    return raw
            time.sleep(0.1)
        self.fail(f"{subject!r} did not arrive in {mailbox}:\n{self.b.read_log()[-3000:]}")

    def results(self, raw):
        head = re.sub(r"\r\n[ \t]", " ", raw.split(b"\r\n\r\n", 1)[0].decode())
        fields = [line for line in head.split("\r\n") if line.startswith("Authentication-Results: mail.b.test;")]
        self.assertEqual(len(fields), 1, head)
        return [" ".join(r.split()) for r in fields[0].split(";")[1:]]

    @staticmethod
    def message(sender, subject):
        return (f"From: <{sender}>\r\nTo: bob@b.test\r\nSubject: {subject}\r\n"
                f"Date: Tue, 8 Dec 2026 10:00:00 +0000\r\n\r\nHello.\r\n").encode()

    def test_mail_relayed_from_tern_a_passes_dkim_spf_and_dmarc(self):
        submit(self.a, "alice@a.test", "alice-pw", "alice@a.test", ["bob@b.test"],
               b"From: Alice <alice@a.test>\r\nTo: bob@b.test\r\nSubject: all pass\r\n\r\nHi Bob.\r\n")
        results = self.results(self.arrived("all pass"))
        self.assertEqual(sum(r.startswith("dkim=pass") for r in results), 2, results)
        self.assertIn('spf=pass (127.0.0.1 is permitted by a.test) smtp.mailfrom="alice@a.test"', results)
        self.assertIn("dmarc=pass (p=reject dis=none) header.from=a.test", results)

    def test_forged_mail_is_refused_under_p_reject(self):
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.send_to_b("alice@a.test", self.message("alice@a.test", "forged reject"))
        self.assertEqual(refused.exception.smtp_code, 550)
        self.assertIn(b"5.7.1", refused.exception.smtp_error)
        self.assertIn(b"DMARC", refused.exception.smtp_error)
        self.assertIn("event=inbound_policy", self.b.read_log())
        # The same From: with another envelope sender fails alignment too.
        with self.assertRaises(smtplib.SMTPDataError):
            self.send_to_b("someone@n.test", self.message("alice@a.test", "forged reject 2"))
        self.assertFalse(any(b"Subject: forged reject" in m for m in messages(self.b, "bob@b.test")))

    def test_forged_mail_goes_to_junk_under_p_quarantine(self):
        self.send_to_b("boss@q.test", self.message("boss@q.test", "forged quarantine"))
        raw = self.arrived("forged quarantine", "Junk")
        results = self.results(raw)
        self.assertIn('spf=fail (127.0.0.2 is not permitted by q.test) smtp.mailfrom="boss@q.test"', results)
        self.assertIn("dmarc=fail (p=quarantine dis=quarantine) header.from=q.test", results)
        self.assertFalse(any(b"Subject: forged quarantine" in m for m in messages(self.b, "bob@b.test")))

    def test_subdomain_policy_and_pct_sampling_apply(self):
        # sp=none: a subdomain of a.test is not refused, though it fails.
        self.send_to_b("x@sub.a.test", self.message("x@sub.a.test", "subdomain"))
        self.assertIn("dmarc=fail (p=none dis=none) header.from=sub.a.test", self.results(self.arrived("subdomain")))
        # pct=0: p=reject applies as quarantine to a message outside the sample.
        self.send_to_b("x@soft.test", self.message("x@soft.test", "pct zero"))
        results = self.results(self.arrived("pct zero", "Junk"))
        self.assertIn("dmarc=fail (p=reject dis=quarantine) header.from=soft.test", results)
        self.assertTrue(any(r.startswith("spf=softfail") for r in results), results)

    def test_neutral_spf_without_dmarc_is_delivered(self):
        self.send_to_b("x@n.test", self.message("x@n.test", "neutral"))
        results = self.results(self.arrived("neutral"))
        self.assertIn('spf=neutral (?all) smtp.mailfrom="x@n.test"', results)
        self.assertTrue(any(r.startswith("dmarc=none") for r in results), results)

    def test_dns_failure_is_temperror_never_a_refusal(self):
        # dnsmasq refuses names outside its local domains: a temporary failure.
        self.send_to_b("x@elsewhere.example", self.message("x@elsewhere.example", "dns failure"))
        results = self.results(self.arrived("dns failure"))
        self.assertTrue(any(r.startswith("spf=temperror") for r in results), results)
        self.assertTrue(any(r.startswith("dmarc=temperror") for r in results), results)

    def test_unauthenticated_mail_from_own_domain_is_refused(self):
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.send_to_b("carol@b.test", self.message("carol@b.test", "own domain"))
        self.assertEqual(refused.exception.smtp_code, 550)
        self.assertIn(b"must be authenticated", refused.exception.smtp_error)
        # From: alone claiming b.test is refused as well.
        with self.assertRaises(smtplib.SMTPDataError):
            self.send_to_b("x@n.test", self.message("bob@b.test", "own domain from"))


if __name__ == "__main__":
    unittest.main()
