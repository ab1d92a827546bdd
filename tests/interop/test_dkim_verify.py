"""DKIM verification of mail arriving on port 25 (RFC 6376 6, RFC 8601):
a private dnsmasq (Debian's, on a free loopback port) publishes the keys;
tern B checks every signature and says what it found in
Authentication-Results:. The signers are tern A (mail its user submits,
relayed to B) and dkimpy, the independent implementation; altered mail,
unknown keys and DNS failures get fail, permerror and temperror; an
Authentication-Results: field that claims to come from B is removed, also
from a message large enough to be spooled to disk."""
import base64
import os
import re
import smtplib
import subprocess
import tempfile
import time
import unittest

import dkim
import nacl.signing

from harness import DNSMASQ, Dnsmasq, Tern, dkim_records, messages, submit, use_dns



@unittest.skipUnless(DNSMASQ, "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)")
class DkimVerification(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory(prefix="tern-dkim-")
        # dkimpy's keys for py.test: Ed25519 (a raw seed) and RSA-2048 (PEM).
        seed = nacl.signing.SigningKey.generate()
        cls.py_ed_key = base64.b64encode(bytes(seed)).decode()
        py_ed_public = base64.b64encode(bytes(seed.verify_key)).decode()
        rsa_path = os.path.join(cls.scratch.name, "rsa.pem")
        subprocess.run(["openssl", "genrsa", "-out", rsa_path, "2048"], check=True, capture_output=True)
        with open(rsa_path, "rb") as f:
            cls.py_rsa_key = f.read()
        der = subprocess.run(["openssl", "rsa", "-in", rsa_path, "-pubout", "-outform", "DER"], check=True,
                             capture_output=True).stdout
        py_rsa_public = base64.b64encode(der).decode()

        cls.b = Tern(protocols=("smtp",), hostname="mail.b.test", extra="")  # [dns] filled in below
        cls.b.add_user("bob@b.test", "bob-pw")
        cls.a = Tern(protocols=("submission",), hostname="mail.a.test",
                     extra=f'[relay.routes]\n"b.test" = "127.0.0.1:{cls.b.ports["smtp"]}"\n')
        cls.a.add_user("alice@a.test", "alice-pw")

        txt = dkim_records(cls.a, "a.test")
        txt["ed._domainkey.py.test"] = f"v=DKIM1; k=ed25519; p={py_ed_public}"
        txt["rsa._domainkey.py.test"] = f"v=DKIM1; k=rsa; p={py_rsa_public}"
        txt["revoked._domainkey.py.test"] = "v=DKIM1; k=rsa; p="
        cls.dns = Dnsmasq(txt=txt, local_domains=["a.test", "py.test"])
        use_dns(cls.b, cls.dns)
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
            cls.scratch.cleanup()

    def send_to_b(self, raw, sender="someone@py.test"):
        with smtplib.SMTP("127.0.0.1", self.b.ports["smtp"], timeout=20) as s:
            s.sendmail(sender, ["bob@b.test"], raw)

    def arrived(self, subject):
        deadline = time.time() + 30
        while time.time() < deadline:
            for raw in messages(self.b, "bob@b.test"):
                if f"Subject: {subject}\r\n".encode() in raw:
                    return raw
            time.sleep(0.1)
        self.fail(f"{subject!r} did not arrive:\n{self.b.read_log()[-3000:]}")

    def results(self, raw):
        """The dkim=... results of B's Authentication-Results field, unfolded (SPF and DMARC:
        test_spf_dmarc.py)."""
        head = re.sub(r"\r\n[ \t]", " ", raw.split(b"\r\n\r\n", 1)[0].decode())
        fields = [line for line in head.split("\r\n") if line.startswith("Authentication-Results: mail.b.test;")]
        self.assertEqual(len(fields), 1, head)
        return [" ".join(r.split()) for r in fields[0].split(";")[1:] if r.strip().startswith("dkim=")]

    def py_message(self, subject, body="Hello from dkimpy.\r\n"):
        return (f"From: Someone <someone@py.test>\r\nTo: bob@b.test\r\nSubject: {subject}\r\n"
                f"Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@py.test>\r\n"
                f"\r\n{body}").encode()

    def py_sign(self, raw, selector, canonicalize=(b"relaxed", b"relaxed"), **kw):
        if selector == "ed":
            return dkim.sign(raw, b"ed", b"py.test", self.py_ed_key.encode(), canonicalize=canonicalize,
                             signature_algorithm=b"ed25519-sha256", linesep=b"\r\n", **kw) + raw
        return dkim.sign(raw, selector.encode(), b"py.test", self.py_rsa_key, canonicalize=canonicalize,
                         linesep=b"\r\n", **kw) + raw

    def test_mail_from_tern_a_passes_at_tern_b(self):
        raw = b"From: Alice <alice@a.test>\r\nTo: bob@b.test\r\nSubject: a to b\r\n\r\nHi Bob.\r\n"
        submit(self.a, "alice@a.test", "alice-pw", "alice@a.test", ["bob@b.test"], raw)
        got = self.arrived("a to b")
        results = self.results(got)
        self.assertEqual(len(results), 2, results)
        self.assertTrue(any(r.startswith("dkim=pass (256-bit key) header.d=a.test") and
                            "header.a=ed25519-sha256" in r for r in results), results)
        self.assertTrue(any(r.startswith("dkim=pass (2048-bit key) header.d=a.test") and
                            "header.a=rsa-sha256" in r for r in results), results)

    def test_dkimpy_signatures_of_every_canonicalization_pass(self):
        for i, c in enumerate([(b"relaxed", b"relaxed"), (b"simple", b"simple"), (b"relaxed", b"simple"),
                               (b"simple", b"relaxed")]):
            for selector in ("ed", "rsa"):
                subject = f"dkimpy {selector} {i}"
                self.send_to_b(self.py_sign(self.py_message(subject, body="Hello  there \r\n\r\n\r\n"), selector, c))
                results = self.results(self.arrived(subject))
                self.assertEqual(len(results), 1, results)
                self.assertTrue(results[0].startswith("dkim=pass"), (c, selector, results))
                self.assertIn(f"header.s={selector}", results[0])

    def test_altered_mail_fails(self):
        signed = self.py_sign(self.py_message("altered body", body="Pay 10 EUR.\r\n"), "rsa")
        self.send_to_b(signed.replace(b"Pay 10 EUR.", b"Pay 9999 EUR."))
        self.assertTrue(self.results(self.arrived("altered body"))[0].startswith("dkim=fail (body hash mismatch)"))
        signed = self.py_sign(self.py_message("altered subject"), "ed")
        self.send_to_b(signed.replace(b"Subject: altered subject", b"Subject: altered subject!"))
        results = self.results(self.arrived("altered subject!"))
        self.assertTrue(results[0].startswith("dkim=fail (signature verification failed)"), results)

    def test_unsigned_mail_is_none(self):
        self.send_to_b(self.py_message("unsigned"))
        self.assertEqual(self.results(self.arrived("unsigned")), ["dkim=none"])

    def test_missing_revoked_and_unreachable_keys(self):
        self.send_to_b(self.py_sign(self.py_message("unknown selector"), "nosuch"))
        self.assertTrue(self.results(self.arrived("unknown selector"))[0].startswith(
            "dkim=permerror (no key for the signature)"))
        self.send_to_b(self.py_sign(self.py_message("revoked key"), "revoked"))
        self.assertTrue(self.results(self.arrived("revoked key"))[0].startswith("dkim=permerror (the key is revoked)"))
        # A domain that this DNS server does not serve: it refuses, which is a temporary failure.
        raw = self.py_message("unreachable key").replace(b"someone@py.test>", b"someone@elsewhere.example>")
        signed = dkim.sign(raw, b"rsa", b"elsewhere.example", self.py_rsa_key, linesep=b"\r\n") + raw
        self.send_to_b(signed, sender="someone@elsewhere.example")
        self.assertTrue(self.results(self.arrived("unreachable key"))[0].startswith("dkim=temperror"))

    def test_partial_body_signatures_are_not_trusted(self):
        self.send_to_b(self.py_sign(self.py_message("with l="), "rsa", length=True))
        self.assertTrue(self.results(self.arrived("with l="))[0].startswith("dkim=policy"))

    def test_forged_results_claiming_to_be_ours_are_removed(self):
        for size in (10, 400000):  # in memory, and spooled to disk (past 128 KiB)
            subject = f"forged results {size}"
            body = "".join(f"line {i:08d} of the body\r\n" for i in range(size // 26 + 1))
            raw = (f"Authentication-Results: mail.b.test; dkim=pass header.d=bank.example\r\n"
                   f"Authentication-Results: MAIL.B.TEST (forged) 1;\r\n\tspf=pass\r\n"
                   f"Authentication-Results: relay.example; dkim=pass header.d=py.test\r\n"
                   f"From: someone@py.test\r\nTo: bob@b.test\r\nSubject: {subject}\r\n\r\n{body}").encode()
            self.send_to_b(raw)
            got = self.arrived(subject)
            head, got_body = got.split(b"\r\n\r\n", 1)
            self.assertEqual(self.results(got), ["dkim=none"])
            self.assertNotIn(b"bank.example", head)
            self.assertNotIn(b"(forged)", head)
            self.assertIn(b"Authentication-Results: relay.example; dkim=pass header.d=py.test\r\n", head)
            self.assertEqual(got_body, body.encode(), "the body is stored intact")
        self.assertIn("event=forged_authentication_results", self.b.read_log())


if __name__ == "__main__":
    unittest.main()
