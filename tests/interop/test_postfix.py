"""Postfix as a peer MTA: a private Postfix instance relays mail into tern.

Each test runs its own Postfix (config, queue and data directories in a temp
dir; an smtpd on a free loopback port; relayhost = tern's SMTP listener;
opportunistic TLS) and its own tern. Mail is submitted to Postfix with
smtplib, Postfix relays it to tern, and the test checks what tern stored and
what Postfix logged.

Needs root (Postfix's master runs as root and drops privileges) and the
Debian `postfix` package (scripts/install-deps.sh installs it). Without them
the test skips, except under CI (CI=true), where it fails.
"""
import base64
import os
import pwd
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Tern, free_port

SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
POSTFIX = shutil.which("postfix", path=SEARCH_PATH)
POSTCONF = shutil.which("postconf", path=SEARCH_PATH)
POSTQUEUE = shutil.which("postqueue", path=SEARCH_PATH)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
myhostname = postfix.peer.test
mydomain = peer.test
myorigin = $myhostname
smtp_helo_name = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{tern_port}
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 4s
biff = no
"""

# Only the services this relay needs, none chrooted (the queue is a temp dir).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


def prerequisites_missing():
    if not (POSTFIX and POSTCONF and POSTQUEUE):
        return "postfix is not installed (scripts/install-deps.sh installs it)"
    if os.geteuid() != 0:
        return "a private Postfix instance needs root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no 'postfix' user (the postfix package creates it)"
    return None


class Postfix:
    """A private Postfix instance that relays everything to tern's SMTP port."""

    def __init__(self, tern_port):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-postfix-", dir=traversable_temp_dir())
        self.root = self.dir.name
        os.chmod(self.root, 0o755)  # Postfix's daemons (user postfix) work inside it
        self.conf = os.path.join(self.root, "etc")
        self.port = free_port()
        self.maillog = os.path.join(self.root, "maillog")
        self.master_pid = None
        os.mkdir(self.conf)
        os.mkdir(os.path.join(self.root, "queue"))
        os.mkdir(os.path.join(self.root, "data"))
        postfix_user = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.root, "data"), postfix_user.pw_uid, postfix_user.pw_gid)
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(root=self.root, tern_port=tern_port))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))

    def run(self, *command, check=True):
        env = dict(os.environ, MAIL_CONFIG=self.conf, PATH=SEARCH_PATH)
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
                                 f"\n--- maillog ---\n{self.read_log()}")
        return result

    def start(self):
        # `check` creates the queue's subdirectories with Postfix's owners and modes.
        self.run(POSTFIX, "-c", self.conf, "check")
        self.run(POSTFIX, "-c", self.conf, "start")
        with open(os.path.join(self.root, "queue", "pid", "master.pid")) as f:
            self.master_pid = int(f.read().split()[0])
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.time() > deadline:
                    raise AssertionError("postfix did not start listening:\n" + self.read_log())
                time.sleep(0.1)

    def flush(self):
        self.run(POSTQUEUE, "-c", self.conf, "-f", check=False)

    def read_log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return "(no maillog)"

    def wait_for_log(self, pattern, timeout=30):
        """Waits until the maillog matches `pattern` (a regex); returns the match or None."""
        deadline = time.time() + timeout
        while True:
            m = re.search(pattern, self.read_log())
            if m or time.time() > deadline:
                return m
            time.sleep(0.2)

    def stop(self):
        if self.master_pid is None:
            return
        pid, self.master_pid = self.master_pid, None
        self.run(POSTFIX, "-c", self.conf, "stop", check=False)
        deadline = time.time() + 10
        while alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        # The master leads a process group of its daemons: make sure none outlives the test.
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self):
        try:
            self.stop()
        finally:
            self.dir.cleanup()


def traversable_temp_dir():
    """The temp dir, if Postfix's unprivileged daemons can reach into it (TMPDIR might be private), else /tmp."""
    path = os.path.realpath(tempfile.gettempdir())
    probe = path
    while True:
        if not os.stat(probe).st_mode & 0o001:
            return "/tmp"
        if probe == "/":
            return path
        probe = os.path.dirname(probe)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def crlf(text):
    return text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def split_message(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError("stored message has no header/body separator: %r" % data[:500])
    return head + b"\r\n", body


def header_fields(head):
    """[(name, unfolded value)] in order."""
    fields = []
    for line in head.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + b" " + line.strip())
        else:
            name, _, value = line.partition(b":")
            fields.append((name.decode("ascii", "replace").lower(), value.strip()))
    return fields


class PostfixPeerTest(unittest.TestCase):
    SENDER = "bob@example.test"
    RECIPIENT = "alice@example.test"

    def setUp(self):
        missing = prerequisites_missing()
        if missing:
            if IN_CI:
                self.fail(missing)
            self.skipTest(missing)
        self.tern = Tern(protocols=("smtp",))
        self.addCleanup(self.tern.close)
        self.tern.add_user(self.RECIPIENT, "alice-pw")
        self.tern.add_user(self.SENDER, "bob-pw")
        self.tern.start()
        self.postfix = Postfix(self.tern.ports["smtp"])
        self.addCleanup(self.postfix.close)
        self.postfix.start()

    def tearDown(self):
        # Postfix first, so that it holds no connection to tern; then tern must stop cleanly.
        if hasattr(self, "postfix"):
            self.postfix.stop()
        if hasattr(self, "tern"):
            code = self.tern.stop()
            self.assertEqual(code, 0, "tern did not exit 0 on SIGTERM:\n" + self.tern.read_log()[-5000:])

    def diagnostics(self):
        return ("\n--- postfix maillog ---\n" + self.postfix.read_log()[-6000:] +
                "\n--- tern log ---\n" + self.tern.read_log()[-6000:])

    def submit(self, recipients, message, sender=None):
        with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=30) as client:
            client.ehlo("client.peer.test")
            refused = client.sendmail(sender or self.SENDER, recipients, message, mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})

    def wait_for(self, address, count):
        n = self.tern.wait_for_messages(address, count, timeout=30, poll=self.postfix.flush)
        self.assertGreaterEqual(n, count, f"{address} has {n} messages, expected {count}" + self.diagnostics())

    def wait_for_log(self, pattern):
        m = self.postfix.wait_for_log(pattern)
        self.assertIsNotNone(m, f"postfix's log never matched {pattern!r}" + self.diagnostics())
        return m

    def test_relayed_message_arrives_over_tls_with_trace_fields(self):
        message = crlf(b"From: Bob <bob@example.test>\n"
                       b"To: Alice <alice@example.test>\n"
                       b"Subject: relayed by postfix\n"
                       b"Date: Wed, 26 Nov 2025 12:00:00 +0000\n"
                       b"Message-ID: <postfix-interop-1@example.test>\n"
                       b"\n"
                       b"Hello Alice,\n"
                       b"this went through Postfix.\n")
        self.submit([self.RECIPIENT], message)
        self.wait_for(self.RECIPIENT, 1)
        stored = self.tern.fetch(self.RECIPIENT, 1)
        head, body = split_message(stored)
        fields = header_fields(head)
        names = [name for name, _ in fields]

        # tern's trace fields come first: Return-Path with the envelope sender, what its checks
        # found (the message is unsigned), then its Received.
        self.assertEqual(fields[0], ("return-path", b"<bob@example.test>"), head.decode(errors="replace"))
        self.assertEqual(names.count("return-path"), 1)
        self.assertEqual(fields[1][0], "authentication-results")
        results = b" ".join(fields[1][1].split())
        self.assertTrue(results.startswith(b"mail.example.test; dkim=none; spf="), results)
        self.assertIn(b"smtp.mailfrom=\"bob@example.test\"; dmarc=", results)
        fields = fields[1:]
        self.assertEqual(fields[1][0], "received")
        received = fields[1][1].decode(errors="replace")
        self.assertRegex(received, r"^from postfix\.peer\.test \(.*\[127\.0\.0\.1\]\)", received)
        self.assertRegex(received, r"by mail\.example\.test \(tern\) with ESMTPS\b", received)
        self.assertIn("for <alice@example.test>", received)
        self.assertRegex(received, r"\(using TLS", received)
        # Then Postfix's own Received, then the original header.
        self.assertEqual(fields[2][0], "received")
        self.assertIn(b"by postfix.peer.test (Postfix)", fields[2][1])
        self.assertIn(("subject", b"relayed by postfix"), fields)
        self.assertIn(("message-id", b"<postfix-interop-1@example.test>"), fields)
        self.assertEqual(body, b"Hello Alice,\r\nthis went through Postfix.\r\n")

        # Postfix's side: TLS was negotiated, and tern's 250 2.0.0 completed the delivery.
        self.wait_for_log(r"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d" % self.tern.ports["smtp"])
        m = self.wait_for_log(r"to=<alice@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent "
                              r"\(250 2\.0\.0 [^)]*\)" % self.tern.ports["smtp"])
        self.assertNotIn("status=deferred", self.postfix.read_log(), self.diagnostics())
        self.assertEqual(self.tern.mailbox_counts(self.RECIPIENT).get("INBOX"), 1)
        self.assertIsNotNone(m)

    def test_unknown_user_bounces(self):
        message = crlf(b"From: bob@example.test\n"
                       b"To: nobody@example.test\n"
                       b"Subject: to nobody\n"
                       b"Message-ID: <postfix-interop-2@example.test>\n"
                       b"\n"
                       b"Is anyone there?\n")
        self.submit(["nobody@example.test"], message)
        # tern refuses the recipient with 550 5.1.1; Postfix bounces without retrying.
        self.wait_for_log(r"to=<nobody@example\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=bounced "
                          r"\(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 5\.1\.1 " % self.tern.ports["smtp"])
        self.assertNotIn("status=deferred", self.postfix.read_log(), self.diagnostics())
        # The delivery status notification goes back to the sender, who is a tern user too:
        # tern accepts it with the null reverse path.
        self.wait_for(self.SENDER, 1)
        head, body = split_message(self.tern.fetch(self.SENDER, 1))
        fields = header_fields(head)
        self.assertEqual(fields[0], ("return-path", b"<>"), head.decode(errors="replace"))
        content_type = dict(fields).get("content-type", b"")
        self.assertIn(b"multipart/report", content_type)
        self.assertIn(b"delivery-status", content_type)
        self.assertIn(b"nobody@example.test", body)
        self.assertIn(b"5.1.1", body)
        self.assertEqual(self.tern.mailbox_counts(self.RECIPIENT).get("INBOX", 0), 0)
        self.wait_for_log(r"to=<bob@example\.test>.*status=sent \(250 2\.0\.0")

    def test_8bit_body_and_2mb_attachment_arrive_intact(self):
        rng = random.Random(5321)
        payload = bytes(rng.getrandbits(8) for _ in range(2 * 1024 * 1024))
        encoded = base64.encodebytes(payload)  # 76-character lines
        # 8-bit text: UTF-8, Latin-1 bytes, a line that needs dot-stuffing, and a lone dot.
        text = ("Grüße aus Köln — naïve café, 東京, ☃\n"
                ".a line starting with a dot\n"
                ".\n"
                "From the start of a line\n").encode("utf-8") + bytes(range(0x80, 0x100)) + b"\n"
        message = crlf(b"From: bob@example.test\n"
                       b"To: alice@example.test\n"
                       b"Subject: big and 8-bit\n"
                       b"Message-ID: <postfix-interop-3@example.test>\n"
                       b"MIME-Version: 1.0\n"
                       b"Content-Type: multipart/mixed; boundary=\"b1-tern-postfix\"\n"
                       b"\n"
                       b"This is a MIME message.\n"
                       b"--b1-tern-postfix\n"
                       b"Content-Type: text/plain; charset=utf-8\n"
                       b"Content-Transfer-Encoding: 8bit\n"
                       b"\n" + text +
                       b"--b1-tern-postfix\n"
                       b"Content-Type: application/octet-stream; name=\"blob.bin\"\n"
                       b"Content-Disposition: attachment; filename=\"blob.bin\"\n"
                       b"Content-Transfer-Encoding: base64\n"
                       b"\n" + encoded +
                       b"--b1-tern-postfix--\n")
        _, sent_body = split_message(message)
        self.assertGreater(len(sent_body), 2 * 1024 * 1024)
        self.submit([self.RECIPIENT], message)
        self.wait_for(self.RECIPIENT, 1)
        self.wait_for_log(r"to=<alice@example\.test>.*status=sent \(250 2\.0\.0")
        head, body = split_message(self.tern.fetch(self.RECIPIENT, 1))
        self.assertIn(b"with ESMTPS", head)
        if body != sent_body:
            at = next((i for i, (a, b) in enumerate(zip(body, sent_body)) if a != b), min(len(body), len(sent_body)))
            self.fail(f"body differs at octet {at} (stored {len(body)} octets, sent {len(sent_body)}): "
                      f"stored {body[max(0, at - 40):at + 40]!r} sent {sent_body[max(0, at - 40):at + 40]!r}")
        stored_payload = base64.decodebytes(body.split(b"\r\n\r\n", 2)[2].split(b"--b1-tern-postfix--")[0])
        self.assertEqual(stored_payload, payload)


if __name__ == "__main__":
    unittest.main()
