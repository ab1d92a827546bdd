"""The administration verbs, as an operator runs them."""
import os
import subprocess
import unittest

from harness import TERN, Tern


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tern = Tern()

    def tearDown(self):
        self.tern.close()

    def test_domain_user_alias_round_trip(self):
        t = self.tern
        t.cli("domain", "add", "Example.TEST")
        self.assertEqual(t.cli("domain", "list").stdout.split(), ["example.test"])
        out = t.cli("user", "add", "alice@example.test", "--password-stdin", input="pw\n")
        self.assertIn("alice@example.test", out.stdout)
        self.assertEqual(t.cli("user", "list").stdout.split(), ["alice@example.test"])
        t.cli("user", "passwd", "alice@example.test", "--password-stdin", input="new secret\n")
        t.cli("alias", "add", "postmaster@example.test", "alice@example.test")
        t.cli("alias", "add", "@example.test", "alice@example.test")
        aliases = t.cli("alias", "list").stdout
        self.assertIn("postmaster@example.test -> alice@example.test", aliases)
        self.assertIn("@example.test -> alice@example.test", aliases)
        t.cli("alias", "remove", "@example.test")
        self.assertNotIn("@example.test ->", t.cli("alias", "list").stdout.replace("postmaster@", ""))
        # A domain with accounts cannot go.
        r = t.cli("domain", "remove", "example.test", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("example.test", r.stderr)
        t.cli("alias", "remove", "postmaster@example.test")
        t.cli("user", "remove", "alice@example.test")
        self.assertEqual(t.cli("user", "list").stdout.split(), [])
        t.cli("domain", "remove", "example.test")
        self.assertEqual(t.cli("domain", "list").stdout.split(), [])

    def test_bad_input_gets_message_and_nonzero_exit(self):
        t = self.tern
        for bad in ["exa mple.test", "bad-.test", "nodot", "a..b", "x" * 64 + ".test", "bücher.test"]:
            r = t.cli("domain", "add", bad, check=False)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("invalid domain", r.stderr, bad)
        r = t.cli("domain", "add", "xn--bcher-kva.test", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        t.cli("domain", "add", "example.test")
        r = t.cli("domain", "add", "example.test", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("example.test", r.stderr)
        r = t.cli("user", "add", "bob@unknown.test", "--password-stdin", input="pw\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unknown.test", r.stderr)
        r = t.cli("user", "add", "not an address", "--password-stdin", input="pw\n", check=False)
        self.assertEqual(r.returncode, 2)
        t.cli("user", "add", "bob@example.test", "--password-stdin", input="pw\n")
        r = t.cli("user", "add", "bob@example.test", "--password-stdin", input="pw\n", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bob@example.test", r.stderr)
        r = t.cli("user", "add", "carol@example.test", "--password-stdin", input="\n", check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("empty", r.stderr)
        r = t.cli("user", "remove", "nobody@example.test", check=False)
        self.assertEqual(r.returncode, 1)

    def test_password_never_from_argv_and_no_tty(self):
        # Without --password-stdin and without a terminal, it refuses instead of hanging.
        r = subprocess.run(["setsid", TERN, "--config", self.tern.config, "user", "add", "x@example.test"],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--password-stdin", r.stderr)

    def test_usage_errors_exit_2(self):
        for args in [["frobnicate"], ["domain"], ["user", "add"], ["domain", "add", "a.test", "extra"]]:
            r = self.tern.cli(*args, check=False)
            self.assertEqual(r.returncode, 2, args)
        r = subprocess.run([TERN, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        for verb in ["serve", "domain", "user", "alias", "queue"]:
            self.assertIn(verb, r.stdout)

    def test_queue_verbs_on_empty_queue(self):
        self.assertIn("empty", self.tern.cli("queue", "list").stdout)
        r = self.tern.cli("queue", "show", "42", check=False)
        self.assertEqual(r.returncode, 1)
        r = self.tern.cli("queue", "show", "abc", check=False)
        self.assertEqual(r.returncode, 2)
        self.tern.cli("queue", "retry")


class ConfigTest(unittest.TestCase):
    def run_with(self, text):
        t = Tern()
        try:
            with open(t.config, "w") as f:
                f.write(text)
            return t.cli("domain", "list", check=False)
        finally:
            t.close()

    def test_bad_config_exits_2_naming_the_key(self):
        cases = {
            'hostname = "mail.example.test"\n[[listen]]\nprotocol = "smtpx"\naddress = "127.0.0.1:1"\n':
                "listen[0].protocol",
            'hostname = "mail.example.test"\n[[listen]]\nprotocol = "smtp"\naddress = "127.0.0.1"\n':
                "listen[0].address",
            'hostname = 42\n': "hostname",
            'hostname = "mail.example.test"\n[queue]\nmax_age = "forever"\n': "queue.max_age",
            'hostname = "mail.example.test"\ncolour = "blue"\n': "colour",
            'hostname = "mail.example.test"\n[store]\nbackend = "mysql"\n': "store.backend",
            'hostname = "mail.example.test"\n[tls]\ncert = "a.pem"\n': "tls",
            'hostname = "mail.example.test\n': "tern.toml",
            'hostname = "mail.example.test"\n[auth]\ntrusted_networks = ["10.1.2.3/8"]\n':
                "auth.trusted_networks",
            'hostname = "mail.example.test"\n[auth]\nmax_failures_per_address = 0\n': "auth.max_failures_per_address",
            'hostname = "mail.example.test"\n[auth]\nmax_failures_per_user = "many"\n': "auth.max_failures_per_user",
            'hostname = "mail.example.test"\n[auth]\nfailure_window = "0m"\n': "auth.failure_window",
        }
        for text, key in cases.items():
            r = self.run_with(text)
            self.assertEqual(r.returncode, 2, text)
            self.assertIn(key, r.stderr, text)
            self.assertIn("tern.toml", r.stderr, text)

    def test_missing_config_file(self):
        r = subprocess.run([TERN, "--config", "/nonexistent/tern.toml", "domain", "list"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/tern.toml", r.stderr)


if __name__ == "__main__":
    unittest.main()
