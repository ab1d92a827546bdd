"""Hardening of a running tern: what a first start leaves on disk (data_dir
0700, tern.db and the generated TLS key 0600), the TLS versions the implicit-TLS
listeners accept (1.2 and 1.3, never 1.0 or 1.1), and that no password reaches
the log even at log_level = "debug"."""
import base64
import imaplib
import os
import poplib
import pwd
import smtplib
import socket
import ssl
import stat
import threading
import unittest
import warnings

from harness import Tern, insecure_tls_context

USER = "carol@example.test"
PASSWORD = "Pw-in-no-log-7f3a9c"
WRONG = "Wrong-pw-in-no-log-51d2e8"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def client_context(version):
    """A client context pinned to one TLS version. Security level 0 lets
    OpenSSL 3 offer TLS 1.0 and 1.1 at all, so a refusal comes from tern."""
    context = insecure_tls_context()
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # TLS 1.0 and 1.1 are deprecated; offering them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    return context


def handshake(port, version):
    """The negotiated version string, or the ssl.SSLError the handshake ended with."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with client_context(version).wrap_socket(raw, server_hostname="mail.example.test") as tls:
                return tls.version()
        except ssl.SSLError as e:
            return e


def smtp_auth(port, mechanism, password):
    """The reply code to AUTH MECHANISM as USER with PASSWORD on an implicit-TLS listener."""
    s = smtplib.SMTP_SSL("127.0.0.1", port, timeout=20, context=insecure_tls_context())
    try:
        s.ehlo()
        s.user, s.password = USER, password
        try:
            code, _ = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()))
        except smtplib.SMTPAuthenticationError as e:
            code = e.smtp_code
        s.quit()
        return code
    finally:
        s.close()


class FirstStartPermissions(unittest.TestCase):
    def check_tree(self, tern):
        data = os.path.join(tern.root, "data")
        self.assertEqual(mode(data), 0o700, "data_dir")
        self.assertEqual(mode(os.path.join(data, "tern.db")), 0o600, "tern.db")
        self.assertEqual(mode(os.path.join(data, "tls", "key.pem")), 0o600, "TLS key")
        self.assertEqual(mode(os.path.join(data, "tls")) & 0o077, 0, "TLS directory")
        for name in os.listdir(data):  # -wal, -shm and whatever else sits beside the database
            if name.startswith("tern.db"):
                self.assertEqual(mode(os.path.join(data, name)) & 0o077, 0, name)

    def run_server(self, tern):
        self.addCleanup(tern.close)
        tern.start()
        self.assertEqual(tern.stop(), 0, tern.read_log())

    def test_serve_on_an_empty_directory(self):
        # `serve` first: the key pair is generated before the store opens.
        tern = Tern(protocols=("submissions",))
        old = os.umask(0o022)  # a usual umask, not one that would hide the problem
        try:
            self.run_server(tern)
        finally:
            os.umask(old)
        self.check_tree(tern)

    def test_admin_verb_first(self):
        tern = Tern(protocols=("pop3s",))
        old = os.umask(0o022)
        try:
            tern.cli("domain", "add", "example.test")
            self.run_server(tern)
        finally:
            os.umask(old)
        self.check_tree(tern)


    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_serve_as_root_dropping_to_another_user(self):
        # The data_dir is then made (and handed over) before the server drops privileges.
        tern = Tern(protocols=("submissions",), extra='user = "nobody"')
        os.chmod(tern.root, 0o755)
        old = os.umask(0o022)
        try:
            self.run_server(tern)
        finally:
            os.umask(old)
        self.check_tree(tern)
        self.assertEqual(os.stat(os.path.join(tern.root, "data")).st_uid, pwd.getpwnam("nobody").pw_uid)


class TlsVersions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("submissions", "pop3s", "imaps"))
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, cls.tern.read_log()
        finally:
            cls.tern.close()

    def test_client_can_offer_old_versions(self):
        # Control: the pinned TLS 1.0 context completes a handshake with a
        # server that allows it, so the refusals below are tern's doing.
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server_context.minimum_version = ssl.TLSVersion.TLSv1
        server_context.load_cert_chain(os.path.join(self.tern.root, "data", "tls", "cert.pem"),
                                       os.path.join(self.tern.root, "data", "tls", "key.pem"))
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)

        def serve():
            conn, _ = listener.accept()
            try:
                with server_context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

        thread = threading.Thread(target=serve)
        thread.start()
        result = handshake(listener.getsockname()[1], ssl.TLSVersion.TLSv1)
        thread.join(10)
        if isinstance(result, ssl.SSLError):
            self.skipTest(f"this OpenSSL cannot speak TLS 1.0 at all: {result}")
        self.assertEqual(result, "TLSv1")

    def check_listener(self, protocol):
        port = self.tern.ports[protocol]
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            result = handshake(port, version)
            self.assertIsInstance(result, ssl.SSLError, f"{protocol} accepted {version.name}")
            self.assertNotIn("NO_PROTOCOLS_AVAILABLE", str(result), "the client never offered it")
        self.assertEqual(handshake(port, ssl.TLSVersion.TLSv1_2), "TLSv1.2")
        self.assertEqual(handshake(port, ssl.TLSVersion.TLSv1_3), "TLSv1.3")

    def test_submissions(self):
        self.check_listener("submissions")

    def test_pop3s(self):
        self.check_listener("pop3s")

    def test_imaps(self):
        self.check_listener("imaps")


class NoPasswordInLog(unittest.TestCase):
    def test_debug_log_holds_no_password(self):
        tern = Tern(protocols=("submissions", "pop3s", "imaps"))
        self.addCleanup(tern.close)
        with open(tern.config) as f:
            self.assertIn('log_level = "debug"', f.read())
        tern.add_user(USER, PASSWORD)
        tern.start()
        for password, expected in ((PASSWORD, 235), (WRONG, 535)):
            for mechanism in ("PLAIN", "LOGIN"):
                self.assertEqual(smtp_auth(tern.ports["submissions"], mechanism, password), expected,
                                 (mechanism, password))
        pop = poplib.POP3_SSL("127.0.0.1", tern.ports["pop3s"], context=insecure_tls_context(), timeout=20)
        pop.user(USER)
        with self.assertRaises(poplib.error_proto):
            pop.pass_(WRONG)
        pop.user(USER)
        self.assertTrue(pop.pass_(PASSWORD).startswith(b"+OK"))
        pop.quit()
        imap = imaplib.IMAP4_SSL("127.0.0.1", tern.ports["imaps"], ssl_context=insecure_tls_context(), timeout=20)
        with self.assertRaises(imaplib.IMAP4.error):
            imap.login(USER, WRONG)
        imap.logout()
        imap = imaplib.IMAP4_SSL("127.0.0.1", tern.ports["imaps"], ssl_context=insecure_tls_context(), timeout=20)
        imap.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        imap.logout()
        self.assertEqual(tern.stop(), 0)
        log = tern.read_log()
        self.assertIn("event=auth_ok", log)  # the debug log did record the logins ...
        self.assertIn("event=auth_failed", log)
        self.assertIn(USER, log)
        for secret in (PASSWORD, WRONG):  # ... but no password, plain or in its SASL encodings
            encodings = [secret, base64.b64encode(secret.encode()).decode(),
                         base64.b64encode(f"\0{USER}\0{secret}".encode()).decode()]
            for text in encodings:
                self.assertNotIn(text, log)

if __name__ == "__main__":
    unittest.main()
