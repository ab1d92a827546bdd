"""`tern dns check DOMAIN` against a real DNS server (Debian's dnsmasq,
private, on a free loopback port) through libunbound: with the records
`tern dns` prints published, every check is ok; with SPF that leaves the
host out and a DKIM key unpublished, the check names them and fails."""
import unittest

from harness import DNSMASQ, Dnsmasq, Tern, dkim_records, use_dns


@unittest.skipUnless(DNSMASQ, "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)")
class DnsCheck(unittest.TestCase):
    def setUp(self):
        self.tern = Tern(protocols=("smtp",), hostname="mail.example.test")
        self.tern.cli("domain", "add", "example.test")
        self.dns = None

    def tearDown(self):
        if self.dns:
            self.dns.stop()
        self.tern.close()

    def serve(self, txt):
        self.dns = Dnsmasq(zones={"example.test": ("mail.example.test", "127.0.0.1")}, txt=txt,
                           local_domains=["example.test"])
        use_dns(self.tern, self.dns)

    def test_published_records_check_out(self):
        txt = dkim_records(self.tern, "example.test")
        txt["example.test"] = "v=spf1 mx -all"
        txt["_dmarc.example.test"] = "v=DMARC1; p=reject; rua=mailto:postmaster@example.test"
        self.serve(txt)
        result = self.tern.cli("dns", "check", "example.test", check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        out = result.stdout
        self.assertIn("ok       MX       example.test: MX mail.example.test", out)
        self.assertIn("ok       A/AAAA   mail.example.test: 127.0.0.1", out)
        self.assertIn("ok       PTR      127.0.0.1: mail.example.test", out)
        self.assertIn("ok       SPF      example.test: pass for 127.0.0.1 (mx)", out)
        self.assertEqual(out.count("ok       DKIM"), 2, out)
        self.assertIn("ok       DMARC    _dmarc.example.test: p=reject", out)

    def test_missing_and_wrong_records_are_named(self):
        txt = dkim_records(self.tern, "example.test")
        unpublished = sorted(txt)[0]
        del txt[unpublished]
        txt["example.test"] = "v=spf1 ip4:192.0.2.0/24 -all"
        self.serve(txt)
        result = self.tern.cli("dns", "check", "example.test", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        out = result.stdout
        self.assertIn("wrong    SPF      example.test: fail for 127.0.0.1 (-all)", out)
        self.assertIn(f"missing  DKIM     {unpublished} (active): publish: {unpublished}. TXT \"v=DKIM1;", out)
        self.assertIn("missing  DMARC", out)
        self.assertIn("Some records are missing or wrong.", out)


if __name__ == "__main__":
    unittest.main()
