"""SRS for mail forwarded off-server: tern B has an alias that points to an
address at tern C. The forwarded copy leaves B with an SRS0 envelope sender
at B's domain, so C's SPF check (dnsmasq publishes B's record) passes where
the original sender's domain would not name B. A bounce to that SRS0
address reaches the original sender through B; one with a forged hash is
refused."""
import re
import smtplib
import time
import unittest

from harness import DNSMASQ, Dnsmasq, Tern, messages, use_dns


@unittest.skipUnless(DNSMASQ, "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)")
class Srs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Tern(protocols=("smtp",), hostname="mail.c.test", extra="")
        cls.c.add_user("carol@c.test", "carol-pw")
        cls.c.add_user("sender@origin.test", "sender-pw")
        cls.b = Tern(protocols=("smtp",), hostname="mail.b.test",
                     extra=f'[relay.routes]\n"c.test" = "127.0.0.1:{cls.c.ports["smtp"]}"\n'
                           f'"origin.test" = "127.0.0.1:{cls.c.ports["smtp"]}"\n')
        cls.b.cli("domain", "add", "b.test")
        cls.b.cli("alias", "add", "fwd@b.test", "carol@c.test")
        cls.dns = Dnsmasq(txt={"b.test": "v=spf1 ip4:127.0.0.1 -all", "origin.test": "v=spf1 ip4:192.0.2.1 -all"},
                          local_domains=["b.test", "origin.test", "c.test"])
        use_dns(cls.c, cls.dns)
        cls.c.start()
        cls.b.start()

    @classmethod
    def tearDownClass(cls):
        try:
            for t in (cls.b, cls.c):
                code = t.stop()
                assert code == 0, f"tern exited {code}:\n{t.read_log()}"
        finally:
            cls.b.close()
            cls.c.close()
            cls.dns.stop()

    def arrived(self, tern, address, subject):
        deadline = time.time() + 30
        while time.time() < deadline:
            for raw in messages(tern, address):
                if f"Subject: {subject}\r\n".encode() in raw:
                    return raw
            time.sleep(0.1)
        self.fail(f"{subject!r} did not arrive for {address}:\n{self.b.read_log()[-3000:]}")

    def send_to_b(self, sender, rcpt, raw):
        with smtplib.SMTP("127.0.0.1", self.b.ports["smtp"], timeout=20) as s:
            s.sendmail(sender, [rcpt], raw)

    def test_forwarded_mail_passes_spf_and_its_bounce_comes_back(self):
        raw = b"From: <sender@origin.test>\r\nTo: fwd@b.test\r\nSubject: forwarded\r\n\r\nHello.\r\n"
        self.send_to_b("sender@origin.test", "fwd@b.test", raw)
        got = self.arrived(self.c, "carol@c.test", "forwarded")
        return_path = re.search(rb"^Return-Path: <([^>]*)>", got, re.M).group(1).decode()
        self.assertRegex(return_path, r"^SRS0=[^=]{4}=[A-Z2-7]{2}=origin\.test=sender@b\.test$")
        head = re.sub(rb"\r\n[ \t]", b" ", got.split(b"\r\n\r\n", 1)[0]).decode()
        self.assertIn(f'spf=pass (127.0.0.1 is permitted by b.test) smtp.mailfrom="{return_path}"', head)

        # C's bounce (a null sender) to the SRS0 address goes back to the original sender.
        bounce = b"From: MAILER-DAEMON@mail.c.test\r\nTo: " + return_path.encode() + \
            b"\r\nSubject: bounce of forwarded\r\n\r\nIt did not work out.\r\n"
        self.send_to_b("", return_path, bounce)
        self.arrived(self.c, "sender@origin.test", "bounce of forwarded")
        self.assertIn("event=srs_reverse", self.b.read_log())

    def test_forged_srs_address_is_unknown(self):
        forged = "SRS0=AAAA=AA=origin.test=sender@b.test"
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            self.send_to_b("", forged, b"Subject: forged\r\n\r\nx\r\n")
        self.assertEqual(refused.exception.recipients[forged][0], 550)


if __name__ == "__main__":
    unittest.main()
