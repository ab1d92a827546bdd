"""Postfix as the receiving peer of tern's queue.

alice submits on tern's submission port mail for pf.example; a private
dnsmasq gives pf.example an MX on 127.0.0.21, where a private Postfix
(smtpd with a self-signed certificate, the `virtual` delivery agent writing
a Maildir in the temp dir) accepts mail for carol@pf.example only. Postfix
sends its own notices (DSN success reports) back through tern's port 25 on
127.0.0.20, where alice's mailbox is.

Checked: the Maildir copy carries tern's Received field, Postfix's log shows
the TLS session tern started, the DSN parameters (ENVID, NOTIFY, ORCPT) reach
Postfix (its success report quotes them), and Postfix's 550 for an unknown
user becomes exactly one RFC 3464 bounce in alice's INBOX. Two messages in a
row travel over one connection (one TLS handshake, RSET between them).

Needs root (port 25, Postfix's master), dnsmasq, postfix and openssl.
Without them the tests skip, except under CI, where they fail.
"""
import glob
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import time
import unittest

from harness import DNSMASQ, Dnsmasq, Tern, messages, queue_ids
import test_postfix

SEARCH_PATH = test_postfix.SEARCH_PATH
OPENSSL = shutil.which("openssl", path=SEARCH_PATH)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

TERN_ADDRESS = "127.0.0.20"     # tern's port 25 (a.example)
POSTFIX_ADDRESS = "127.0.0.21"  # Postfix's port 25 (pf.example)

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
myhostname = mx.pf.example
mydomain = pf.example
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = {root}/cert.pem
smtpd_tls_key_file = {root}/key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
virtual_mailbox_domains = pf.example
virtual_mailbox_base = {root}/mail
virtual_mailbox_maps = texthash:{root}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
relayhost = [{tern_address}]:25
smtp_tls_security_level = may
smtp_dns_support_level = disabled
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 4s
biff = no
"""

# smtpd binds ADDRESS:25 by its master.cf entry; inet_interfaces stays 127.0.0.1, since Postfix
# insists that it names an address configured on an interface, which 127.0.0.21 is not.
MASTER_CF = test_postfix.MASTER_CF.replace("127.0.0.1:{port} inet", "{address}:25 inet") + \
    "virtual    unix  - n n -     - virtual\n"


def prerequisites_missing():
    if not DNSMASQ:
        return "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)"
    if not OPENSSL:
        return "openssl is not installed"
    return test_postfix.prerequisites_missing()


class ReceivingPostfix(test_postfix.Postfix):
    """Postfix's smtpd on ADDRESS:25, the final destination of pf.example (virtual mailboxes)."""

    def __init__(self, address, mailboxes):
        super().__init__(tern_port=25)
        self.address = address
        self.port = 25
        postfix_user = pwd.getpwnam("postfix")
        self.mail = os.path.join(self.root, "mail")
        os.mkdir(self.mail)
        os.chown(self.mail, postfix_user.pw_uid, postfix_user.pw_gid)
        with open(os.path.join(self.root, "vmailbox"), "w") as f:
            f.writelines(f"{box}@pf.example {box}/\n" for box in mailboxes)  # trailing "/": a Maildir
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=mx.pf.example",
                        "-keyout", os.path.join(self.root, "key.pem"), "-out", os.path.join(self.root, "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(root=self.root, tern_address=TERN_ADDRESS,
                                   uid=postfix_user.pw_uid, gid=postfix_user.pw_gid))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(address=address))

    def start(self):
        self.run(test_postfix.POSTFIX, "-c", self.conf, "check")
        self.run(test_postfix.POSTFIX, "-c", self.conf, "start")
        with open(os.path.join(self.root, "queue", "pid", "master.pid")) as f:
            self.master_pid = int(f.read().split()[0])
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection((self.address, self.port), timeout=1).close()
                return self
            except OSError:
                if time.time() > deadline:
                    raise AssertionError("postfix did not start listening:\n" + self.read_log())
                time.sleep(0.1)

    def maildir(self, box):
        """The messages delivered to BOX (bytes), oldest first."""
        paths = sorted(glob.glob(os.path.join(self.mail, box, "new", "*")), key=os.path.getmtime)
        out = []
        for path in paths:
            with open(path, "rb") as f:
                out.append(f.read())
        return out


def wait_until(predicate, timeout=30, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


dns = None


def setUpModule():
    global dns
    if prerequisites_missing() is None:
        dns = Dnsmasq({"pf.example": ("mx.pf.example", POSTFIX_ADDRESS)})


def tearDownModule():
    if dns is not None:
        dns.stop()


class PostfixReceivesTest(unittest.TestCase):
    SENDER = "alice@a.example"

    def setUp(self):
        missing = prerequisites_missing()
        if missing:
            if IN_CI:
                self.fail(missing)
            self.skipTest(missing)
        self.postfix = ReceivingPostfix(POSTFIX_ADDRESS, ["carol"])
        self.addCleanup(self.postfix.close)
        self.postfix.start()
        extra = (f'[auth]\nallow_plaintext_loopback = true\n[dns]\nservers = ["127.0.0.1:{dns.port}"]\n'
                 f'[queue]\nretry = ["1s"]\nmax_age = "1h"\n')
        self.tern = Tern(protocols=("smtp", "submission"), extra=extra, hostname="mx.a.example",
                         bind={"smtp": (TERN_ADDRESS, 25)})
        self.addCleanup(self.tern.close)
        self.tern.add_user(self.SENDER, "pw-alice")
        self.tern.start()

    def tearDown(self):
        # Postfix first, so that it holds no connection to tern; then tern must stop cleanly.
        if hasattr(self, "postfix"):
            self.postfix.stop()
        if hasattr(self, "tern") and self.tern.process is not None:
            code = self.tern.stop()
            self.assertEqual(code, 0, "tern did not exit 0 on SIGTERM:\n" + self.tern.read_log()[-5000:])

    def diagnostics(self):
        return ("\n--- postfix maillog ---\n" + self.postfix.read_log()[-6000:] +
                "\n--- tern log ---\n" + self.tern.read_log()[-6000:])

    def submit(self, recipient, subject, mail_options=(), rcpt_options=()):
        message = (f"From: <{self.SENDER}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n"
                   f"Message-ID: <{subject.replace(' ', '-')}@a.example>\r\n\r\nHello from tern.\r\n.dot\r\n")
        with smtplib.SMTP("127.0.0.1", self.tern.ports["submission"], timeout=30) as client:
            client.ehlo("client.example")
            client.login(self.SENDER, "pw-alice")
            refused = client.sendmail(self.SENDER, [recipient], message.encode(), list(mail_options),
                                      list(rcpt_options))
            self.assertEqual(refused, {})

    def wait_for_log(self, pattern):
        m = self.postfix.wait_for_log(pattern)
        self.assertIsNotNone(m, f"postfix's log never matched {pattern!r}" + self.diagnostics())
        return m

    def test_delivered_over_tls_with_dsn_parameters(self):
        self.submit("carol@pf.example", "to postfix", mail_options=["RET=HDRS", "ENVID=tern+2Denv-1"],
                    rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;carol@pf.example"])
        delivered = wait_until(lambda: self.postfix.maildir("carol"))
        self.assertTrue(delivered, "nothing in Postfix's Maildir" + self.diagnostics())
        stored = delivered[0].replace(b"\n", b"\r\n")  # Maildir files use LF
        head, _, body = stored.partition(b"\r\n\r\n")
        self.assertIn(b"Return-Path: <alice@a.example>", head)
        self.assertEqual(head.count(b"Return-Path:"), 1, "tern's stored Return-Path must not travel")
        self.assertRegex(head, rb"Received: from mx\.a\.example \(\S+ \[127\.0\.0\.\d+\]\)\r\n"
                               rb"\s+\(using TLS[^)]*\)[\s\S]*?by mx\.pf\.example \(Postfix\) with ESMTPS")
        self.assertRegex(head, rb"Received: from client\.example [^\r]*\r\n(\s+[^\r]*\r\n)*?"
                               rb"\s+by mx\.a\.example \(tern\) with ESMTPA")
        self.assertIn(b"Subject: to postfix", head)
        self.assertEqual(body, b"Hello from tern.\r\n.dot\r\n")

        # Postfix's side: an encrypted session from tern, and the delivery.
        self.wait_for_log(r"smtpd\[\d+\]: \S+ TLS connection established from \S+\[127\.0\.0\.\d+\]: TLSv1\.[23]")
        self.wait_for_log(r"to=<carol@pf\.example>, relay=virtual.*status=sent \(delivered to maildir\)")

        # The DSN parameters arrived: Postfix reports the success (NOTIFY=SUCCESS) to alice, quoting the
        # ENVID and ORCPT tern passed on; the report reaches tern's port 25.
        self.assertEqual(self.tern.wait_for_messages(self.SENDER, 1), 1, "no success report" + self.diagnostics())
        report = messages(self.tern, self.SENDER)[0]
        self.assertIn(b"report-type=delivery-status", report)
        self.assertIn(b"Original-Envelope-Id: tern-env-1", report)
        self.assertIn(b"Reporting-MTA: dns; mx.pf.example", report)
        self.assertRegex(report, rb"Original-Recipient: rfc822; ?carol@pf\.example")
        self.assertIn(b"Action: delivered", report)
        self.assertTrue(wait_until(lambda: not queue_ids(self.tern)), "tern's queue not empty" + self.diagnostics())
        self.assertIn("event=delivery", self.tern.read_log())
        self.assertRegex(self.tern.read_log(), r"to=carol@pf\.example result=delivered status=2\.0\.0")

    def test_second_message_reuses_the_tls_session(self):
        for n in (1, 2):
            self.submit("carol@pf.example", f"message {n}")
            self.assertTrue(wait_until(lambda: len(self.postfix.maildir("carol")) == n),
                            f"message {n} not in the Maildir" + self.diagnostics())
        subjects = [re.search(rb"\nSubject: ([^\n]*)\n", m).group(1) for m in self.postfix.maildir("carol")]
        self.assertEqual(subjects, [b"message 1", b"message 2"])
        log = self.postfix.read_log()
        probes = len(re.findall(r"lost connection after CONNECT ", log))  # start()'s check that smtpd listens
        self.assertEqual(len(re.findall(r"smtpd\[\d+\]: connect from ", log)) - probes, 1, log)
        self.assertEqual(len(re.findall(r"TLS connection established from ", log)), 1, log)
        # tern closes the idle connection after a few seconds; Postfix counts both transactions on it.
        m = self.wait_for_log(r"smtpd\[\d+\]: disconnect from \S+ ehlo=2 starttls=1 mail=2 rcpt=2 data=2 rset=1")
        self.assertIsNotNone(m)
        self.assertTrue(wait_until(lambda: not queue_ids(self.tern)), "tern's queue not empty" + self.diagnostics())

    def test_unknown_user_bounces_once(self):
        self.submit("nobody@pf.example", "to nobody")
        self.wait_for_log(r"NOQUEUE: reject: RCPT from \S+: 550 5\.1\.1 <nobody@pf\.example>")
        self.assertEqual(self.tern.wait_for_messages(self.SENDER, 1), 1, "no bounce" + self.diagnostics())
        self.assertTrue(wait_until(lambda: not queue_ids(self.tern)), "tern's queue not empty" + self.diagnostics())
        time.sleep(3)  # a few more scheduler rounds: still one bounce
        bounces = messages(self.tern, self.SENDER)
        self.assertEqual(len(bounces), 1, self.diagnostics())
        bounce = bounces[0]
        head = bounce.split(b"\r\n\r\n", 1)[0]
        self.assertTrue(head.startswith(b"Return-Path: <>\r\n"), head)
        self.assertIn(b"From: Mail Delivery System <MAILER-DAEMON@mx.a.example>", head)
        self.assertIn(b"multipart/report; report-type=delivery-status", head)
        self.assertIn(b"Final-Recipient: rfc822; nobody@pf.example", bounce)
        self.assertIn(b"Action: failed", bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        self.assertIn(b"Remote-MTA: dns; mx.pf.example", bounce)
        self.assertRegex(bounce, rb"Diagnostic-Code: smtp; 550 5\.1\.1 <nobody@pf\.example>: Recipient address "
                                 rb"rejected: User unknown in virtual mailbox table")
        self.assertIn(b"Subject: to nobody", bounce)
        self.assertEqual(self.postfix.maildir("carol"), [])
        self.assertNotRegex(self.postfix.read_log(), r"status=sent")


if __name__ == "__main__":
    unittest.main()
