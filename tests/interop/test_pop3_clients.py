"""POP3 with real clients from Debian's packages against a running tern:
fetchmail (STLS on the pop3 listener, implicit TLS on pop3s) and getmail6
(pop3s), in keep and delete modes. Every message is retrieved exactly once,
and a second run in keep mode fetches nothing new thanks to UIDL."""
import email
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import Tern, deliver_local, mailbox_count

PASSWORD = "s3cret pass"
_counter = itertools.count()

MDA = """import os, sys, uuid
data = sys.stdin.buffer.read()
with open(os.path.join(sys.argv[1], uuid.uuid4().hex + ".eml"), "wb") as f:
    f.write(data)
"""


def subjects_in(directory):
    """The Subject of every message file under DIRECTORY (recursively)."""
    out = []
    for root, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                out.append(email.message_from_bytes(f.read())["Subject"])
    return sorted(out)


@unittest.skipUnless(shutil.which("fetchmail") and shutil.which("getmail"),
                     "fetchmail and getmail6 are needed (scripts/install-deps.sh)")
class Pop3ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "pop3", "pop3s"))
        cls.tern.cli("domain", "add", "example.test")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, "tern serve did not exit 0"
        finally:
            cls.tern.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tern-pop3-client-")
        self.mda = os.path.join(self.work, "mda.py")
        with open(self.mda, "w") as f:
            f.write(MDA)

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def new_user(self, subjects):
        address = f"client{next(_counter)}@example.test"
        self.tern.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
        deliver_local(self.tern, address, subjects)
        self.assertEqual(mailbox_count(self.tern, address), len(subjects))
        return address

    def outdir(self, name):
        path = os.path.join(self.work, name)
        os.makedirs(path, exist_ok=True)
        return path

    # ---- fetchmail ----

    def fetchmail(self, address, out, keep, implicit_tls):
        port = self.tern.ports["pop3s" if implicit_tls else "pop3"]
        rc = os.path.join(self.work, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("set no syslog\nset no bouncemail\n"
                    f"poll 127.0.0.1 with proto POP3 port {port} uidl\n"
                    f'  user "{address}" there with password "{PASSWORD}" is "root" here\n'
                    f"  options {'keep' if keep else 'no keep'} {'ssl' if implicit_tls else ''} "
                    f'sslproto "TLS1.2+" no sslcertck\n'
                    f'  mda "{sys.executable} {self.mda} {out}"\n')
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=self.work, FETCHMAILHOME=self.work)
        result = subprocess.run(["fetchmail", "-f", rc, "--idfile", os.path.join(self.work, "fetchids"),
                                 "--pidfile", os.path.join(self.work, "fetchmail.pid"), "--nodetach", "-v"],
                                env=env, capture_output=True, text=True, timeout=120)
        return result

    def test_fetchmail_stls_keep_fetches_each_message_once(self):
        subjects = ["fm one", "fm two", "fm three"]
        address = self.new_user(subjects)
        out = self.outdir("fm-keep")
        first = self.fetchmail(address, out, keep=True, implicit_tls=False)
        self.assertEqual(first.returncode, 0, first.stderr + first.stdout)
        self.assertIn("STLS", first.stderr + first.stdout)
        self.assertEqual(subjects_in(out), sorted(subjects))
        self.assertEqual(mailbox_count(self.tern, address), 3)
        # Keep + UIDL: nothing new the second time (fetchmail exits 1: no mail).
        second = self.fetchmail(address, out, keep=True, implicit_tls=False)
        self.assertEqual(second.returncode, 1, second.stderr + second.stdout)
        self.assertEqual(subjects_in(out), sorted(subjects))
        # Only the new message the third time.
        deliver_local(self.tern, address, ["fm four"])
        third = self.fetchmail(address, out, keep=True, implicit_tls=False)
        self.assertEqual(third.returncode, 0, third.stderr + third.stdout)
        self.assertEqual(subjects_in(out), sorted(subjects + ["fm four"]))
        self.assertEqual(mailbox_count(self.tern, address), 4)

    def test_fetchmail_pop3s_delete_mode(self):
        subjects = [f"fm delete {i}" for i in range(5)]
        address = self.new_user(subjects)
        out = self.outdir("fm-delete")
        result = self.fetchmail(address, out, keep=False, implicit_tls=True)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertEqual(subjects_in(out), sorted(subjects))
        self.assertEqual(mailbox_count(self.tern, address), 0)
        again = self.fetchmail(address, out, keep=False, implicit_tls=True)
        self.assertEqual(again.returncode, 1, again.stderr + again.stdout)
        self.assertEqual(subjects_in(out), sorted(subjects))

    # ---- getmail6 ----

    def getmail(self, address, out, delete):
        getmaildir = self.outdir("getmail-state")
        rc = os.path.join(getmaildir, "getmailrc")
        # getmail refuses to run delivery commands as root unless told it may.
        root = "allow_root_commands = true\n" if os.geteuid() == 0 else ""
        with open(rc, "w") as f:
            f.write("[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
                    f"port = {self.tern.ports['pop3s']}\nusername = {address}\npassword = {PASSWORD}\n\n"
                    f"[destination]\ntype = MDA_external\npath = {sys.executable}\n"
                    f'arguments = ("{self.mda}", "{out}")\n{root}\n'
                    f"[options]\nverbose = 1\nread_all = false\ndelete = {'true' if delete else 'false'}\n")
        return subprocess.run(["getmail", "--getmaildir", getmaildir, "--rcfile", rc],
                              capture_output=True, text=True, timeout=120)

    def test_getmail_keep_fetches_each_message_once(self):
        subjects = ["gm one", "gm two", "gm three"]
        address = self.new_user(subjects)
        maildir = self.outdir("gm-keep")  # one file per delivered message
        first = self.getmail(address, maildir, delete=False)
        self.assertEqual(first.returncode, 0, first.stderr + first.stdout)
        self.assertEqual(subjects_in(maildir), sorted(subjects))
        second = self.getmail(address, maildir, delete=False)
        self.assertEqual(second.returncode, 0, second.stderr + second.stdout)
        self.assertEqual(subjects_in(maildir), sorted(subjects))
        deliver_local(self.tern, address, ["gm four"])
        third = self.getmail(address, maildir, delete=False)
        self.assertEqual(third.returncode, 0, third.stderr + third.stdout)
        self.assertEqual(subjects_in(maildir), sorted(subjects + ["gm four"]))
        self.assertEqual(mailbox_count(self.tern, address), 4)

    def test_getmail_delete_mode(self):
        subjects = [f"gm delete {i}" for i in range(4)]
        address = self.new_user(subjects)
        maildir = self.outdir("gm-delete")
        result = self.getmail(address, maildir, delete=True)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertEqual(subjects_in(maildir), sorted(subjects))
        self.assertEqual(mailbox_count(self.tern, address), 0)


if __name__ == "__main__":
    unittest.main()
