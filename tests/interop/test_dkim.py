"""DKIM signing (RFC 6376, RFC 8463) checked by an independent verifier:
Debian's dkimpy verifies every signature tern puts on mail its users submit,
with the public keys that `tern dns` prints for publishing. Also: what is
signed and what is not, altered mail failing, and rotation in two steps."""
import re
import signal
import smtplib
import time
import unittest

import dkim

from harness import Tern, dkim_records, messages, submit

DOMAIN = "example.test"
PASSWORD = "alice-secret-pw"


def verify_all(raw, records):
    """[(selector, algorithm, ok)] for every DKIM-Signature of RAW, checked by dkimpy."""
    def dnsfunc(name, timeout=5):
        return records.get(name.decode().rstrip("."), "").encode()

    d = dkim.DKIM(raw)
    header = raw.split(b"\r\n\r\n", 1)[0]
    count = len(re.findall(rb"(?im)^DKIM-Signature:", header))
    results = []
    for i in range(count):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.ValidationError:  # e.g. "body hash mismatch"
            ok = False
        results.append((d.selector.decode() if d.selector else "", d.signature_fields.get(b"a", b"").decode(), ok))
    return results


def message(subject, sender=f"Alice <alice@{DOMAIN}>", to=f"bob@{DOMAIN}", body="Hello Bob.\r\n"):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}").encode()


class DkimSigning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # nowhere.test is a closed port: its mail expires after a few seconds and bounces.
        cls.tern = Tern(protocols=("smtp", "submission"),
                        extra='[submission.domain_sender_policy]\n"gateway.test" = "any"\n'
                              '[relay.routes]\n"nowhere.test" = "127.0.0.1:1"\n'
                              '[queue]\nretry = ["1s"]\nmax_age = "3s"\n')
        t = cls.tern
        t.add_user(f"alice@{DOMAIN}", PASSWORD)
        t.add_user(f"bob@{DOMAIN}", "bob-pw")
        t.cli("domain", "add", "rotate.test")
        t.add_user("carol@rotate.test", "carol-pw")
        t.add_user("relay@gateway.test", "relay-pw")
        t.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.tern.stop()
            assert code == 0, f"tern exited {code}:\n{cls.tern.read_log()}"
        finally:
            cls.tern.close()

    def submit(self, raw, user=f"alice@{DOMAIN}", password=PASSWORD, to=(f"bob@{DOMAIN}",)):
        submit(self.tern, user, password, user, to, raw)  # the envelope sender is the account itself

    def received_by(self, address, subject):
        deadline = time.time() + 20
        while time.time() < deadline:
            for raw in messages(self.tern, address):
                if f"Subject: {subject}".encode() in raw:
                    return raw
            time.sleep(0.1)
        self.fail(f"{subject!r} did not arrive for {address}")

    def test_domain_add_makes_active_ed25519_and_rsa_keys(self):
        listed = self.tern.cli("dkim", "list", DOMAIN).stdout.split("\n")
        rows = [line.split() for line in listed if line]
        self.assertEqual(sorted(r[2] for r in rows), ["ed25519", "rsa"])
        self.assertTrue(all(r[3] == "active" for r in rows), rows)
        rsa = [r for r in rows if r[2] == "rsa"][0]
        self.assertIn("bits=2048", rsa)
        records = dkim_records(self.tern, DOMAIN)
        self.assertEqual(len(records), 2)
        for value in records.values():
            self.assertRegex(value, r"^v=DKIM1; k=(ed25519|rsa); p=[A-Za-z0-9+/=]+$")

    def test_submitted_mail_carries_two_signatures_that_dkimpy_verifies(self):
        self.submit(message("signed twice"))
        raw = self.received_by(f"bob@{DOMAIN}", "signed twice")
        results = verify_all(raw, dkim_records(self.tern, DOMAIN))
        self.assertEqual(sorted(a for _, a, _ in results), ["ed25519-sha256", "rsa-sha256"], results)
        self.assertTrue(all(ok for _, _, ok in results), results)
        header = raw.split(b"\r\n\r\n", 1)[0]
        # Return-Path stays on top; the signatures sit right under it.
        self.assertTrue(header.startswith(b"Return-Path: <alice@example.test>\r\nDKIM-Signature: "), header[:120])
        # The Date: and Message-ID: that tern added are covered.
        self.assertIn(b"Message-ID:", header)
        self.assertIn(b"d=example.test;", header)

    def test_large_message_with_long_lines_and_trailing_whitespace_verifies(self):
        body = "".join(f"line {i}  with   spaces \t\r\n" for i in range(20000)) + "\r\n\r\n"
        body += "x" * 990 + "\r\n"  # lines up to SMTP's limit (RFC 5321 4.5.3.1.6)
        self.submit(message("large signed", body=body))
        raw = self.received_by(f"bob@{DOMAIN}", "large signed")
        results = verify_all(raw, dkim_records(self.tern, DOMAIN))
        self.assertTrue(results and all(ok for _, _, ok in results), results)

    def test_altered_mail_fails(self):
        self.submit(message("to be altered", body="Pay 10 EUR.\r\n"))
        raw = self.received_by(f"bob@{DOMAIN}", "to be altered")
        records = dkim_records(self.tern, DOMAIN)
        self.assertTrue(all(ok for _, _, ok in verify_all(raw, records)))
        changed_body = raw.replace(b"Pay 10 EUR.", b"Pay 1000 EUR.")
        self.assertFalse(any(ok for _, _, ok in verify_all(changed_body, records)))
        changed_subject = raw.replace(b"Subject: to be altered", b"Subject: to be alterED")
        self.assertFalse(any(ok for _, _, ok in verify_all(changed_subject, records)))
        # A second From: added on the way breaks the over-signed From.
        head, body = raw.split(b"\r\n\r\n", 1)
        added_from = head + b"\r\nFrom: Mallory <mallory@example.test>\r\n\r\n" + body
        self.assertFalse(any(ok for _, _, ok in verify_all(added_from, records)))
        # Whitespace and folding changes pass (relaxed canonicalization).
        refolded = raw.replace(b"Subject: to be altered", b"Subject:   to be\r\n altered ")
        self.assertTrue(all(ok for _, _, ok in verify_all(refolded, records)))

    def test_bounces_are_signed_by_the_domain_of_the_host_name(self):
        self.submit(message("to nowhere", to="someone@nowhere.test"), to=("someone@nowhere.test",))
        deadline = time.time() + 30
        notice = None
        while notice is None and time.time() < deadline:
            for raw in messages(self.tern, f"alice@{DOMAIN}"):
                if b"Subject: Undelivered Mail Returned to Sender" in raw and b"nowhere.test" in raw:
                    notice = raw
            time.sleep(0.2)
        self.assertIsNotNone(notice, self.tern.read_log()[-2000:])
        # From: MAILER-DAEMON@mail.example.test, signed by the parent domain that has keys.
        self.assertIn(b"From: Mail Delivery System <MAILER-DAEMON@mail.example.test>", notice)
        results = verify_all(notice, dkim_records(self.tern, DOMAIN))
        self.assertEqual(sorted(a for _, a, _ in results), ["ed25519-sha256", "rsa-sha256"], results)
        self.assertTrue(all(ok for _, _, ok in results), results)

    def test_port_25_mail_is_not_signed(self):
        with smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=20) as s:
            s.sendmail("someone@origin.test", [f"bob@{DOMAIN}"],
                       message("unsigned inbound", sender="someone@origin.test"))
        raw = self.received_by(f"bob@{DOMAIN}", "unsigned inbound")
        self.assertNotIn(b"DKIM-Signature:", raw.split(b"\r\n\r\n", 1)[0])

    def test_from_a_domain_without_keys_is_not_signed(self):
        # A gateway account may send for others ([submission] sender_policy "any"); no keys, no signature.
        self.submit(message("foreign from", sender="someone@elsewhere.test"), user="relay@gateway.test",
                    password="relay-pw")
        raw = self.received_by(f"bob@{DOMAIN}", "foreign from")
        self.assertNotIn(b"DKIM-Signature:", raw.split(b"\r\n\r\n", 1)[0])

    def test_rotation_in_two_steps_never_signs_with_an_unpublished_key(self):
        t = self.tern
        before = {line.split()[1] for line in t.cli("dkim", "list", "rotate.test").stdout.splitlines()}
        step1 = t.cli("dkim", "rotate", "rotate.test").stdout
        self.assertIn("pending", step1)
        self.assertIn("._domainkey.rotate.test. TXT", step1)
        rows = [line.split() for line in t.cli("dkim", "list", "rotate.test").stdout.splitlines()]
        pending = {r[1] for r in rows if r[3] == "pending"}
        self.assertEqual(len(pending), 2, rows)
        # The pending records are published beside the active ones.
        self.assertEqual(set(dkim_records(t, "rotate.test")),
                         {f"{s}._domainkey.rotate.test" for s in before | pending})
        t.process.send_signal(signal.SIGHUP)
        self.submit(message("before activation", sender="carol@rotate.test", to="bob@example.test"),
                    user="carol@rotate.test", password="carol-pw")
        raw = self.received_by(f"bob@{DOMAIN}", "before activation")
        results = verify_all(raw, dkim_records(t, "rotate.test"))
        self.assertEqual({s for s, _, _ in results}, before, results)
        self.assertTrue(all(ok for _, _, ok in results), results)

        step2 = t.cli("dkim", "rotate", "rotate.test").stdout
        self.assertIn("step 2 of 2", step2)
        rows = [line.split() for line in t.cli("dkim", "list", "rotate.test").stdout.splitlines()]
        self.assertEqual({r[1] for r in rows if r[3] == "active"}, pending, rows)
        self.assertEqual({r[1] for r in rows if r[3] == "retired"}, before, rows)
        t.process.send_signal(signal.SIGHUP)  # a running server reads keys again at once (else within a minute)
        time.sleep(0.5)
        self.submit(message("after activation", sender="carol@rotate.test", to="bob@example.test"),
                    user="carol@rotate.test", password="carol-pw")
        raw = self.received_by(f"bob@{DOMAIN}", "after activation")
        results = verify_all(raw, dkim_records(t, "rotate.test"))
        self.assertEqual({s for s, _, _ in results}, pending, results)
        self.assertTrue(all(ok for _, _, ok in results), results)

    def test_dns_prints_every_record_to_publish(self):
        out = self.tern.cli("dns", DOMAIN).stdout
        host = "mail.example.test"
        self.assertIn(f"{DOMAIN}. MX 10 {host}.", out)
        self.assertIn(f'{DOMAIN}. TXT "v=spf1 mx -all"', out)
        self.assertIn(f'_dmarc.{DOMAIN}. TXT "v=DMARC1; p=reject; rua=mailto:postmaster@{DOMAIN}"', out)
        self.assertIn(f'_smtp._tls.{DOMAIN}. TXT "v=TLSRPTv1; rua=mailto:postmaster@{DOMAIN}"', out)
        self.assertIn(f"_submission._tcp.{DOMAIN}. SRV 0 1 {self.tern.ports['submission']} {host}.", out)
        # The RSA record is longer than one TXT string may be: split in pieces of at most 255.
        rsa = [line for line in out.splitlines() if "k=rsa" in line][0]
        pieces = re.findall(r'"([^"]*)"', rsa)
        self.assertGreater(len(pieces), 1)
        self.assertTrue(all(len(p) <= 255 for p in pieces))
        self.assertEqual(self.tern.cli("dns", "unknown.test", check=False).returncode, 1)
        self.assertEqual(self.tern.cli("dns", "bad..name", check=False).returncode, 2)


if __name__ == "__main__":
    unittest.main()
