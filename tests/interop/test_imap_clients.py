"""IMAP with real clients against a running tern:

- imapflow (npm, installed in tests/interop/node/ by scripts/install-deps.sh):
  the scenario in node/imapflow_scenario.mjs — STARTTLS and TLS logins,
  list/create/rename/delete, append, fetch with bodystructure and part
  downloads, search, flags, copy/move/delete, IDLE notifications;
- mbsync (isync, Debian): a two-way sync of the account with a local Maildir —
  messages, folders, flags and deletions in both directions, and a repeated
  run that changes nothing;
- mutt (Debian), in batch mode over imaps: reads the INBOX and files a
  message into another folder."""
import imaplib
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Tern, deliver_local, insecure_tls_context

PASSWORD = "client pass 9"
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
_counter = itertools.count()


def maildir_messages(folder):
    """{file name without flags: flags} of a Maildir folder (new/ and cur/)."""
    out = {}
    for sub in ("new", "cur"):
        path = os.path.join(folder, sub)
        for name in os.listdir(path) if os.path.isdir(path) else []:
            base, _, info = name.partition(":2,")
            out[base] = (sub, info)
    return out


def maildir_subjects(folder):
    """{Subject: (file path, maildir flags)} of a Maildir folder."""
    out = {}
    for sub in ("new", "cur"):
        path = os.path.join(folder, sub)
        for name in os.listdir(path) if os.path.isdir(path) else []:
            with open(os.path.join(path, name), "rb") as f:
                m = re.search(rb"^Subject: (.*?)\r?$", f.read(), re.M)
            out[m.group(1).decode()] = (os.path.join(path, name), name.partition(":2,")[2])
    return out


class ClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "imap", "imaps"))
        cls.tern.cli("domain", "add", "example.test")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, "tern serve did not exit 0"
        finally:
            cls.tern.close()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tern-imap-client-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def new_user(self):
        address = f"client{next(_counter)}@example.test"
        self.tern.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
        return address

    def imap(self, address):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.tern.ports["imaps"], ssl_context=insecure_tls_context(),
                              timeout=15)
        m.login(address, PASSWORD)
        self.addCleanup(self.close_quietly, m)
        return m

    @staticmethod
    def close_quietly(m):
        try:
            m.shutdown()
        except OSError:
            pass  # already logged out

    def server_state(self, address):
        """{mailbox: {uid: (subject, sorted flags)}} over IMAP."""
        m = self.imap(address)
        state = {}
        for line in m.list()[1]:
            name = re.match(rb'^\([^)]*\) "/" (.*)$', line).group(1).strip(b'"').decode()
            typ, data = m.select(f'"{name}"', readonly=True)
            assert typ == "OK", (name, data)
            box = {}
            if int(data[0]):
                typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                for item in data:
                    if isinstance(item, tuple):
                        uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                        # \Recent belongs to this session, not to the stored message.
                        flags = sorted(f for f in re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
                                       if f != "\\Recent")
                        subject = item[1].decode().strip().removeprefix("Subject: ")
                        box[uid] = (subject, flags)
            state[name] = box
            m.close()
        m.logout()
        return state

    # ---- imapflow ----

    @unittest.skipUnless(shutil.which("node") and os.path.isdir(os.path.join(NODE_DIR, "node_modules", "imapflow")),
                         "node and imapflow are needed (scripts/install-deps.sh: npm ci in tests/interop/node)")
    def test_imapflow(self):
        address = self.new_user()
        env = dict(os.environ, TERN_HOST="127.0.0.1", TERN_IMAP_PORT=str(self.tern.ports["imap"]),
                   TERN_IMAPS_PORT=str(self.tern.ports["imaps"]), TERN_USER=address, TERN_PASSWORD=PASSWORD)
        result = subprocess.run(["node", "imapflow_scenario.mjs"], cwd=NODE_DIR, env=env, capture_output=True,
                                text=True, timeout=120)
        self.assertEqual(result.returncode, 0, f"{result.stdout}\n{result.stderr}")
        self.assertIn("ok idle:", result.stdout)
        self.assertTrue(result.stdout.rstrip().endswith("ok logout"), result.stdout)

    # ---- mbsync ----

    def mbsync(self, address, maildir):
        rc = os.path.join(self.work, "mbsyncrc")
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount tern
Host 127.0.0.1
Port {self.tern.ports["imaps"]}
User {address}
Pass "{PASSWORD}"
SSLType IMAPS
CertificateFile {os.path.join(self.tern.root, "data", "tls", "cert.pem")}

IMAPStore remote
Account tern

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")
        before = self.changes_in_log()
        result = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, f"{result.stdout}\n{result.stderr}")
        self.assertNotIn("rror", result.stderr)
        return self.changes_in_log() - before

    def changes_in_log(self):
        """How many commands that change mail tern has run so far."""
        return len(re.findall(r"event=command name=(UID )?(APPEND|STORE|EXPUNGE|COPY|MOVE|CREATE|DELETE|RENAME)\b",
                              self.tern.read_log()))

    @unittest.skipUnless(shutil.which("mbsync"), "mbsync is needed (Debian package isync: scripts/install-deps.sh)")
    def test_mbsync_two_way(self):
        address = self.new_user()
        deliver_local(self.tern, address, ["one", "two", "three"])
        m = self.imap(address)
        m.create("Work/Reports")
        m.append("Work/Reports", "(\\Flagged)", None, b"From: a@b.test\r\nSubject: report\r\n\r\nQ1.\r\n")
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Seen)")
        m.logout()
        maildir = os.path.join(self.work, "mail")
        os.makedirs(maildir)

        # First run: everything comes down, with flags.
        self.mbsync(address, maildir)
        inbox = maildir_subjects(os.path.join(maildir, "INBOX"))
        self.assertEqual(set(inbox), {"one", "two", "three"})
        self.assertEqual(inbox["one"][1], "S")
        self.assertEqual(inbox["two"][1], "")
        reports = maildir_subjects(os.path.join(maildir, "Work", "Reports"))
        self.assertEqual(set(reports), {"report"})
        self.assertEqual(reports["report"][1], "F")

        # Second run: nothing to do on either side.
        local_before = maildir_messages(os.path.join(maildir, "INBOX"))
        server_before = self.server_state(address)
        self.assertEqual(self.mbsync(address, maildir), 0)
        self.assertEqual(maildir_messages(os.path.join(maildir, "INBOX")), local_before)
        self.assertEqual(self.server_state(address), server_before)

        # Local changes go up: a new message, a flag, a deletion, a new folder.
        new_path = os.path.join(maildir, "INBOX", "cur", f"{int(time.time())}.local1.host:2,S")
        with open(new_path, "wb") as f:
            f.write(b"From: me@example.test\r\nTo: you@example.test\r\nSubject: written locally\r\n\r\nHi.\r\n")
        path, _ = inbox["two"]
        base = os.path.basename(path).partition(":2,")[0]
        os.rename(path, os.path.join(maildir, "INBOX", "cur", base + ":2,FR"))
        path, _ = inbox["three"]
        base = os.path.basename(path).partition(":2,")[0]
        os.rename(path, os.path.join(maildir, "INBOX", "cur", base + ":2,T"))  # trashed: expunged on sync
        os.makedirs(os.path.join(maildir, "Local Only", "cur"))
        for sub in ("new", "tmp"):
            os.makedirs(os.path.join(maildir, "Local Only", sub))
        with open(os.path.join(maildir, "Local Only", "new", f"{int(time.time())}.local2.host"), "wb") as f:
            f.write(b"From: me@example.test\r\nSubject: in a local folder\r\n\r\nHi.\r\n")
        time.sleep(1.1)  # mbsync waits out a Maildir modified within the last second anyway
        self.mbsync(address, maildir)
        state = self.server_state(address)
        inbox_server = {subject: flags for subject, flags in state["INBOX"].values()}
        self.assertEqual(set(inbox_server), {"one", "two", "written locally"})
        self.assertEqual(inbox_server["two"], ["\\Answered", "\\Flagged"])
        self.assertEqual(inbox_server["written locally"], ["\\Seen"])
        self.assertEqual([s for s, _ in state["Local Only"].values()], ["in a local folder"])

        # Server changes come down: a flag, an expunge, a new delivery.
        m = self.imap(address)
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", "one")
        m.store(data[0].decode(), "+FLAGS", "(\\Flagged)")
        typ, data = m.search(None, "SUBJECT", '"written locally"')
        m.store(data[0].decode(), "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.logout()
        deliver_local(self.tern, address, ["four"])
        self.mbsync(address, maildir)
        inbox = maildir_subjects(os.path.join(maildir, "INBOX"))
        self.assertEqual(set(inbox), {"one", "two", "four"})
        self.assertEqual(inbox["one"][1], "FS")
        self.assertEqual(inbox["two"][1], "FR")

        # And again nothing to do.
        local_before = maildir_messages(os.path.join(maildir, "INBOX"))
        server_before = self.server_state(address)
        self.assertEqual(self.mbsync(address, maildir), 0)
        self.assertEqual(maildir_messages(os.path.join(maildir, "INBOX")), local_before)
        self.assertEqual(self.server_state(address), server_before)

    # ---- mutt ----

    @unittest.skipUnless(shutil.which("mutt") and shutil.which("tmux"),
                         "mutt and tmux are needed (Debian packages mutt, tmux: scripts/install-deps.sh)")
    def test_mutt_reads_and_files_a_message(self):
        address = self.new_user()
        deliver_local(self.tern, address, ["for mutt"])
        # tern's self-signed certificate, trusted as it is.
        shutil.copy(os.path.join(self.tern.root, "data", "tls", "cert.pem"), os.path.join(self.work, "certificates"))
        muttrc = os.path.join(self.work, "muttrc")
        with open(muttrc, "w") as f:
            f.write(f"""set imap_user = "{address}"
set imap_pass = "{PASSWORD}"
set ssl_verify_host = no
set certificate_file = "{os.path.join(self.work, "certificates")}"
set folder = "imaps://127.0.0.1:{self.tern.ports["imaps"]}/"
set spoolfile = "+INBOX"
set confirmappend = no
set confirmcreate = no
set delete = yes
set timeout = 5
set wait_key = no
""")
        # mutt wants a terminal: a tmux server of this test's own runs it.
        server = f"tern-mutt-{os.getpid()}"

        def tmux(*args):
            return subprocess.run(["tmux", "-L", server, *args], capture_output=True, text=True, timeout=10)

        def screen():
            return tmux("capture-pane", "-p", "-t", "mutt").stdout

        def wait_for(text, timeout=10):
            deadline = time.time() + timeout
            while text not in screen():
                if time.time() > deadline:
                    self.fail(f"mutt never showed {text!r}; screen:\n{screen()}")
                time.sleep(0.1)

        command = (f"env HOME={self.work} TERM=screen mutt -n -F {muttrc} "
                   f"-f imaps://127.0.0.1:{self.tern.ports['imaps']}/INBOX")
        self.assertEqual(tmux("new-session", "-d", "-s", "mutt", "-x", "120", "-y", "30", command).returncode, 0)
        try:
            wait_for("for mutt")
            wait_for("Msgs:1")
            tmux("send-keys", "-t", "mutt", "s")
            wait_for("Save to mailbox")
            tmux("send-keys", "-t", "mutt", "C-u", "=Archive", "Enter")
            wait_for("Del:1")  # the saved message is marked deleted
            tmux("send-keys", "-t", "mutt", "$")
            wait_for("Msgs:0")
            tmux("send-keys", "-t", "mutt", "q")
            deadline = time.time() + 10
            while tmux("has-session", "-t", "mutt").returncode == 0 and time.time() < deadline:
                time.sleep(0.1)
        finally:
            tmux("kill-server")
        state = self.server_state(address)
        self.assertEqual([s for s, _ in state["Archive"].values()], ["for mutt"])
        self.assertEqual(state["INBOX"], {})


if __name__ == "__main__":
    unittest.main()
