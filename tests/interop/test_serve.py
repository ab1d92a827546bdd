"""`tern serve` as an operator runs it: start, the generated TLS key pair,
SIGHUP reloading the certificate, SIGTERM stopping with exit 0, privileges
dropped after binding, and unknown listener protocols refused."""
import imaplib
import os
import pwd
import smtplib
import ssl
import subprocess
import time
import unittest

from harness import TERN, Tern


def served_certificate(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=10) as client:
        return client.sock.getpeercert(binary_form=True)


def served_imaps_certificate(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=10)
    try:
        return client.sock.getpeercert(binary_form=True)
    finally:
        client.logout()


def make_certificate(directory, name):
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    return cert, key, der


class ServeTest(unittest.TestCase):
    def test_starts_generates_key_pair_and_stops_with_0(self):
        t = Tern()
        try:
            t.start()
            cert = os.path.join(t.root, "data", "tls", "cert.pem")
            key = os.path.join(t.root, "data", "tls", "key.pem")
            self.assertTrue(os.path.exists(cert))
            self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
            subject = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-ext",
                                      "subjectAltName"], capture_output=True, text=True).stdout
            self.assertIn("mail.example.test", subject)
            self.assertIn("DNS:mail.example.test", subject)
            started = time.time()
            self.assertEqual(t.stop(), 0)
            self.assertLess(time.time() - started, 10)
            log = t.read_log()
            self.assertIn("event=shutdown signal=TERM", log)
            for line in log.splitlines():
                self.assertRegex(line, r"^ts=\S+ level=\w+ ( ?\w+=(\"[^\"]*\"|\S*))+$")
        finally:
            t.close()

    def test_sighup_reloads_certificate(self):
        t = Tern(protocols=("smtp", "submission", "submissions", "imaps"))
        try:
            first = make_certificate(t.root, "first")
            second = make_certificate(t.root, "second")
            cert = os.path.join(t.root, "cert.pem")
            key = os.path.join(t.root, "key.pem")
            os.link(first[0], cert)
            os.link(first[1], key)
            with open(t.config, "a") as f:
                f.write(f'\n[tls]\ncert = "{cert}"\nkey = "{key}"\n')
            # [tls] must come before [[listen]] in TOML terms only for readability; rewrite in order.
            with open(t.config) as f:
                text = f.read()
            tls = text[text.index("\n[tls]"):]
            text = text[:text.index("\n[tls]")]
            head, listeners = text.split("\n[[listen]]", 1)
            with open(t.config, "w") as f:
                f.write(head + tls + "\n[[listen]]" + listeners)
            t.start()
            self.assertEqual(served_certificate(t.ports["submissions"]), first[2])
            os.replace(second[0], cert)
            os.replace(second[1], key)
            t.process.send_signal(1)  # SIGHUP
            deadline = time.time() + 10
            while served_certificate(t.ports["submissions"]) != second[2]:
                self.assertLess(time.time(), deadline, "certificate not reloaded")
                time.sleep(0.1)
            self.assertIn("event=tls_reloaded", t.read_log())
            self.assertEqual(served_imaps_certificate(t.ports["imaps"]), second[2])
            # A broken pair keeps the old one.
            with open(cert, "w") as f:
                f.write("garbage")
            t.process.send_signal(1)
            time.sleep(0.5)
            self.assertEqual(served_certificate(t.ports["submissions"]), second[2])
            self.assertIn("event=tls_reload_failed", t.read_log())
            self.assertEqual(t.stop(), 0)
        finally:
            t.close()

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_drops_privileges_after_binding(self):
        t = Tern(extra='user = "nobody"')
        try:
            os.chmod(t.root, 0o755)
            t.start()
            with open(f"/proc/{t.process.pid}/status") as f:
                status = f.read()
            nobody = pwd.getpwnam("nobody").pw_uid
            uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
            self.assertEqual(set(uid_line.split()[1:]), {str(nobody)})
            self.assertEqual(os.stat(os.path.join(t.root, "data", "tern.db")).st_uid, nobody)
            self.assertEqual(t.stop(), 0)
        finally:
            t.close()

    def test_unknown_protocol_and_busy_port_exit_nonzero(self):
        t = Tern(protocols=("smtp", "imap"))
        try:
            with open(t.config) as f:
                text = f.read()
            with open(t.config, "w") as f:
                f.write(text.replace('protocol = "imap"', 'protocol = "nntp"'))
            r = subprocess.run([TERN, "--config", t.config, "serve"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2)
            self.assertIn("listen[1].protocol", r.stderr)
        finally:
            t.close()
        a = Tern(protocols=("smtp",))
        b = Tern(protocols=("smtp",))
        try:
            a.start()
            with open(b.config) as f:
                text = f.read()
            with open(b.config, "w") as f:
                f.write(text.replace(str(b.ports["smtp"]), str(a.ports["smtp"])))
            r = subprocess.run([TERN, "--config", b.config, "serve"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)
            self.assertEqual(a.stop(), 0)
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    unittest.main()
