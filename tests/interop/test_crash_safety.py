"""Crash safety (DESIGN.md rule 1) under load: concurrent SMTP deliveries,
POP3 DELE/QUIT sessions and IMAP APPEND/STORE/EXPUNGE/UID FETCH sessions run
against tern, which is killed with SIGKILL at a random instant and restarted
on the same data directory, round after round. After every kill:

- the database passes `PRAGMA integrity_check` and `PRAGMA foreign_key_check`
  (opened read-only, before tern recovers it);
- every message whose delivery was acknowledged (250 after DATA/BDAT, OK to
  APPEND), or that a session had already seen in a mailbox, is there, once;
- nothing whose deletion was acknowledged (+OK to QUIT after DELE, OK to
  EXPUNGE after STORE +FLAGS \\Deleted) is back, and nothing found absent
  after an earlier restart ever appears later;
- messages in flight at the kill are there or not, but never twice, never in
  another user's mailbox, and always whole (every body is compared byte for
  byte with what was sent);
- a UID never names two different messages within one UIDVALIDITY (every UID
  seen through UIDL, APPENDUID and UID FETCH is recorded with its message),
  UIDVALIDITY never changes and UIDNEXT never goes back.

Environment: TERN_CRASH_ROUNDS (default 3; a soak runs 20 or more),
TERN_CRASH_SEED (repeats a run's random choices; printed at the start),
TERN_CRASH_IMAP=1 (adds the IMAP sessions, see IMAP below). On failure the
test directory (data dir, config, one log per start) is copied aside and its
path is in the failure message."""
import collections
import imaplib
import os
import poplib
import random
import re
import shutil
import smtplib
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

from harness import Tern, insecure_tls_context

# The IMAP part of the test runs when this is true. It is off by default until
# tern serves IMAP; turning it on for good is changing the "0" to "1" here.
IMAP = os.environ.get("TERN_CRASH_IMAP", "1") == "1"

ROUNDS = int(os.environ.get("TERN_CRASH_ROUNDS", "3"))
SEED = os.environ.get("TERN_CRASH_SEED") or str(random.SystemRandom().randrange(10**9))

HOST = "127.0.0.1"
PASSWORD = "crash-test-password"
USERS = [f"crash{i}@example.test" for i in range(3)]
SENDER = "sender@origin.test"
ARCHIVE = "Archive"  # a mailbox every new account has, worked on only over IMAP

SMTP_WORKERS = 3
POP3_WORKERS = 2
IMAP_WORKERS = 1
KILL_AFTER = (0.3, 3.0)  # seconds of load before the SIGKILL, drawn per round
TIMEOUT = 10             # client socket timeout

# States of one (user, mailbox, message token) in the model.
ADDING = "adding"        # sent, not acknowledged yet, not seen in the mailbox
PRESENT = "present"      # acknowledged, seen in the mailbox, or found after a restart
DELETING = "deleting"    # DELE or STORE \Deleted sent, deletion not acknowledged yet
ABSENT = "absent"        # deletion acknowledged, delivery refused, or not found after a restart


# ---------------------------------------------------------------------------
# Messages: everything about one is derived from its token, so a stored copy
# can be checked byte for byte against what was sent.

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_=+/"
_TOKEN = re.compile(rb"^Message-ID: <(T[0-9a-z-]+)@crash\.test>\r?$", re.IGNORECASE | re.MULTILINE)


def message_bytes(token):
    """The message sent with this token: mostly a few hundred bytes to a few KiB, one in ten about
    30-60 KiB (so that a kill can fall in the middle of its transfer); some lines start with a dot."""
    rng = random.Random(token)
    count = rng.randint(2, 40) if rng.random() < 0.9 else rng.randint(500, 900)
    lines = [f"From: <{SENDER}>", "To: <undisclosed-recipients:;>", f"Subject: crash test {token}",
             f"Message-ID: <{token}@crash.test>", "Date: Mon, 01 Jan 2024 00:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=us-ascii", ""]
    for i in range(count):
        dot = "." if rng.random() < 0.05 else ""
        filler = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 70)))
        lines.append(f"{dot}{token} line {i:04d} {filler}".rstrip())
    lines.append(f"END {token}")
    return ("\r\n".join(lines) + "\r\n").encode()


def token_of(raw):
    """The token in a stored message's (or header block's) Message-ID, or None."""
    match = _TOKEN.search(raw)
    return match.group(1).decode() if match else None


# ---------------------------------------------------------------------------
# What the clients were told, shared by the worker threads.

class Model:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = {}   # (user, mailbox, token) -> ADDING | PRESENT | DELETING | ABSENT
        self.why = {}     # (user, mailbox, token) -> how it got its last definite state
        self.uids = {}    # (user, mailbox, uidvalidity, uid) -> token
        self.failures = []
        self.counts = collections.Counter()
        self.killed = False  # set just before the SIGKILL; errors after it are expected

    def fail(self, text):
        with self.lock:
            self.failures.append(text)

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def error(self, what, exc):
        """A client error: expected once the server has been killed, a failure before."""
        with self.lock:
            if not self.killed:
                self.failures.append(f"{what} failed while tern was running: {exc!r}")

    def adding(self, keys):
        with self.lock:
            for key in keys:
                if key in self.state:
                    self.failures.append(f"token reused: {key}")
                self.state[key] = ADDING

    def added(self, keys, how):
        with self.lock:
            for key in keys:
                if self.state.get(key) == ADDING:
                    self.state[key] = PRESENT
                    self.why[key] = how
                self.counts[how] += 1

    def refused(self, keys, how):
        with self.lock:
            for key in keys:
                if self.state.get(key) == ADDING:
                    self.state[key] = ABSENT
                    self.why[key] = how

    def seen(self, key, where):
        """The message is in the mailbox (a reader saw it, so it was committed); False when it is
        not one this user could have there."""
        with self.lock:
            state = self.state.get(key)
            if state is None:
                self.failures.append(f"{where}: unexpected message {key} (never sent to this mailbox)")
                return False
            if state == ADDING:
                self.state[key] = PRESENT
                self.why[key] = f"seen by {where} before its acknowledgement"
            return True

    def deleting(self, keys):
        with self.lock:
            for key in keys:
                if self.state.get(key) in (ADDING, PRESENT):
                    self.state[key] = DELETING

    def deleted(self, keys, how):
        with self.lock:
            for key in keys:
                if self.state.get(key) == DELETING:
                    self.state[key] = ABSENT
                    self.why[key] = how
                self.counts[how] += 1

    def uid(self, user, mailbox, uidvalidity, uid, token, where):
        with self.lock:
            known = self.uids.setdefault((user, mailbox, uidvalidity, uid), token)
            if known != token:
                self.failures.append(f"{where}: UID {uid} of {user} {mailbox} (UIDVALIDITY {uidvalidity}) is "
                                     f"{token}, but was {known} before")

    def token_for(self, user, mailbox, uidvalidity, uid):
        with self.lock:
            return self.uids.get((user, mailbox, uidvalidity, uid))

    def max_uid(self, user, mailbox, uidvalidity):
        with self.lock:
            return max((k[3] for k in self.uids if k[:3] == (user, mailbox, uidvalidity)), default=0)

    def resolve(self, user, mailbox, present):
        """After a restart: compares what is stored (a set of tokens) with what the clients were
        told, then takes the stored state as the new baseline."""
        with self.lock:
            keys = [k for k in self.state if k[:2] == (user, mailbox)]
            for key in keys:
                state, here = self.state[key], key[2] in present
                if state == PRESENT and not here:
                    self.failures.append(f"lost: {key} ({self.why.get(key)}) is not stored after the restart")
                elif state == ABSENT and here:
                    self.failures.append(f"back: {key} ({self.why.get(key)}) is stored after the restart")
                elif state in (ADDING, DELETING):
                    self.counts[f"in flight ({state}), then {'stored' if here else 'not stored'}"] += 1
                self.state[key] = PRESENT if here else ABSENT
                if state != (PRESENT if here else ABSENT):
                    self.why[key] = f"{'found' if here else 'not found'} after a restart"
            for token in present - {k[2] for k in keys}:
                self.failures.append(f"unexpected message {token} in {user} {mailbox} (never sent there)")


# ---------------------------------------------------------------------------
# Small protocol helpers.

class Pop3(poplib.POP3):
    """poplib.POP3 that closes its socket when the greeting never comes (the server was killed)."""

    def __init__(self, *args, **kwargs):
        self.sock = self.file = None
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            self.close()
            raise

    def _create_socket(self, timeout):
        self.sock = super()._create_socket(timeout)
        return self.sock


def pop3_login(port, user):
    client = Pop3(HOST, port, timeout=TIMEOUT)
    try:
        client.stls(insecure_tls_context())
        client.user(user)
        client.pass_(PASSWORD)
    except BaseException:
        client.close()
        raise
    return client


def pop3_quit_acknowledged(client):
    """QUIT; True when the server answered +OK (a dead server makes poplib raise)."""
    try:
        return client.quit().startswith(b"+OK")
    finally:
        client.close()


def parse_uidl(line):
    """"n UID" from UIDL; tern's unique id is UID and UIDVALIDITY as 8 hex digits each."""
    number, unique = line.decode().split()
    if not re.fullmatch(r"[0-9A-F]{16}", unique):
        raise AssertionError(f"unexpected UIDL unique id {unique!r}")
    return int(number), int(unique[8:], 16), int(unique[:8], 16)


def imap_login(port, user):
    client = imaplib.IMAP4(HOST, port, timeout=TIMEOUT)
    try:
        # imaplib writes a literal and the CRLF after it separately: without this, Nagle's
        # algorithm holds the CRLF for the server's delayed ACK (~40 ms an APPEND).
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.starttls(insecure_tls_context())
        client.login(user, PASSWORD)
    except BaseException:
        imap_drop(client)
        raise
    return client


def imap_drop(client):
    """Closes a session that failed (LOGOUT closes the others)."""
    try:
        client.shutdown()
    except OSError:
        pass


def imap_select(client, mailbox):
    """SELECT; (UIDVALIDITY, EXISTS)."""
    typ, data = client.select(mailbox)
    if typ != "OK":
        raise AssertionError(f"SELECT {mailbox}: {typ} {data}")
    _, uidvalidity = client.response("UIDVALIDITY")
    return int(uidvalidity[0]), int(data[0])


def imap_fetch(client, items):
    """UID FETCH 1:* ITEMS; a list of (response text outside the literal, literal bytes or None)."""
    typ, data = client.uid("FETCH", "1:*", items)
    if typ != "OK":
        raise AssertionError(f"UID FETCH {items}: {typ} {data}")
    responses, current = [], None
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):
            if current:
                responses.append(current)
            current = [item[0], item[1]]
        elif current is not None and not re.match(rb"\d+ \(", item):
            current[0] += b" " + item  # what followed the literal in the same response
            responses.append(current)
            current = None
        else:
            if current:
                responses.append(current)
                current = None
            responses.append([item, None])
    if current:
        responses.append(current)
    out = []
    for text, literal in responses:
        uid = re.search(rb"\bUID (\d+)", text)
        flags = re.search(rb"\bFLAGS \(([^)]*)\)", text)
        if uid is None or literal is None:
            continue  # an unsolicited FETCH (another session's flag change)
        out.append((int(uid.group(1)), flags.group(1).decode().split() if flags else [], literal))
    return out


def mailbox_status(tern, user):
    """{mailbox: {"messages", "uidvalidity", "uidnext"}} from `tern mailbox list`."""
    boxes = {}
    for line in tern.cli("mailbox", "list", user).stdout.splitlines():
        fields = line.split()
        if fields:
            values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
            boxes[fields[0]] = {k: int(values[k]) for k in ("messages", "uidvalidity", "uidnext")}
    return boxes


# ---------------------------------------------------------------------------

class CrashSafety(unittest.TestCase):
    def setUp(self):
        protocols = ("smtp", "pop3") + (("imap",) if IMAP else ())
        self.tern = Tern(protocols=protocols)
        self.addCleanup(self.tern.close)
        for user in USERS:
            self.tern.add_user(user, PASSWORD)
        self.db = os.path.join(self.tern.root, "data", "tern.db")
        self.model = Model()
        self.mailboxes = ["INBOX"] + ([ARCHIVE] if IMAP else [])
        self.uidvalidity = {}  # (user, mailbox) -> UIDVALIDITY first seen
        self.uidnext = {}      # (user, mailbox) -> UIDNEXT after the last restart
        self.starts = 0

    def test_sigkill_at_random_instants(self):
        print(f"\ncrash safety: {ROUNDS} rounds, TERN_CRASH_SEED={SEED}, IMAP {'on' if IMAP else 'off'}",
              file=sys.stderr)
        for number in range(ROUNDS):
            began = time.monotonic()
            self.start()
            if number:
                self.verify(f"after round {number - 1}")
                self.report("  after the restart")
            delay = self.load_and_kill(number)
            self.check_database(f"after the kill of round {number}")
            self.report(f"round {number}: {time.monotonic() - began:.1f} s, killed after {delay:.2f} s of load")
        self.start()
        self.verify(f"after round {ROUNDS - 1}")
        self.report("  after the restart")
        self.assertEqual(self.tern.stop(), 0)
        self.check_database("after a graceful stop")

    def report(self, what):
        with self.model.lock:
            counts = "".join(f"\n    {k}: {v}" for k, v in sorted(self.model.counts.items()))
            self.model.counts.clear()
        print(f"{what}{counts}", file=sys.stderr)

    # -- rounds --------------------------------------------------------------

    def start(self):
        # Keeps each run's log (harness.start overwrites tern.log).
        if os.path.exists(self.tern.log_path):
            os.rename(self.tern.log_path, f"{self.tern.log_path}.{self.starts}")
        self.starts += 1
        self.tern.start()

    def load_and_kill(self, number):
        rng = random.Random(f"{SEED}-{number}")
        self.stop = threading.Event()
        self.number = number
        self.model.killed = False
        workers = [(self.smtp_worker, i) for i in range(SMTP_WORKERS)]
        workers += [(self.pop3_worker, i) for i in range(POP3_WORKERS)]
        if IMAP:
            workers += [(self.imap_worker, i) for i in range(IMAP_WORKERS)]
        threads = [threading.Thread(target=self.guard, args=(target, i), daemon=True) for target, i in workers]
        for t in threads:
            t.start()
        delay = rng.uniform(*KILL_AFTER)
        time.sleep(delay)
        with self.model.lock:
            self.model.killed = True
        self.tern.kill()
        self.stop.set()
        for t in threads:
            t.join(2 * TIMEOUT)
            if t.is_alive():
                self.model.fail(f"a client thread did not end within {2 * TIMEOUT} s of the kill")
        self.check_failures(f"round {number} (load, killed after {delay:.2f} s)")
        return delay

    def guard(self, target, n):
        try:
            target(n)
        except Exception as e:  # a bug in a worker must fail the test, not vanish with its thread
            self.model.fail(f"{target.__name__}({n}) crashed: {e!r}")

    def token(self, kind, n, i):
        return f"T{self.number}-{kind}{n}-{i}"

    # -- SMTP ----------------------------------------------------------------

    def smtp_worker(self, n):
        """Delivers messages to one, two or three users, several per connection, by DATA or BDAT."""
        rng = random.Random(f"{SEED}-{self.number}-smtp-{n}")
        sequence = 0
        while not self.stop.is_set():
            try:
                client = smtplib.SMTP(HOST, self.tern.ports["smtp"], local_hostname="client.origin.test",
                                      timeout=TIMEOUT)
            except (OSError, smtplib.SMTPException) as e:
                self.model.error("SMTP connect", e)
                time.sleep(0.05)
                continue
            try:
                client.ehlo()
                for _ in range(rng.randint(1, 6)):
                    if self.stop.is_set():
                        break
                    sequence += 1
                    self.smtp_transaction(client, rng, self.token("s", n, sequence))
                    time.sleep(rng.uniform(0, 0.03))
                client.quit()
            except (OSError, smtplib.SMTPException) as e:
                self.model.error("SMTP", e)
            finally:
                client.close()

    def smtp_transaction(self, client, rng, token):
        recipients = rng.sample(USERS, rng.choice((1, 1, 1, 2, 3)))
        data = message_bytes(token)
        code, text = client.mail(SENDER)
        if code != 250:
            self.model.fail(f"MAIL FROM refused: {code} {text!r}")
            return client.rset()
        for user in recipients:
            code, text = client.rcpt(user)
            if code != 250:
                self.model.fail(f"RCPT TO:<{user}> refused: {code} {text!r}")
                return client.rset()
        keys = [(user, "INBOX", token) for user in recipients]
        self.model.adding(keys)
        if rng.random() < 0.3:
            client.send(b"BDAT %d LAST\r\n" % len(data) + data)
            code, text = client.getreply()
        else:
            code, text = client.data(data)
        if code == 250:
            self.model.added(keys, "delivery acknowledged (250)")
        else:
            self.model.refused(keys, f"delivery refused ({code})")
            self.model.fail(f"delivery of {token} refused while tern was running: {code} {text!r}")

    # -- POP3 ----------------------------------------------------------------

    def pop3_worker(self, n):
        """Sessions that list the maildrop, DELE about half of it and QUIT."""
        rng = random.Random(f"{SEED}-{self.number}-pop3-{n}")
        while not self.stop.is_set():
            user = rng.choice(USERS)
            try:
                client = pop3_login(self.tern.ports["pop3"], user)
            except poplib.error_proto as e:
                if e.args and isinstance(e.args[0], bytes) and b"[IN-USE]" in e.args[0]:
                    time.sleep(0.02)  # the other POP3 worker has this maildrop
                else:
                    self.model.error(f"POP3 login of {user}", e)
                continue
            except OSError as e:
                self.model.error(f"POP3 connect for {user}", e)
                time.sleep(0.05)
                continue
            try:
                self.pop3_session(client, rng, user)
            except (OSError, poplib.error_proto) as e:
                self.model.error(f"POP3 session of {user}", e)
                client.close()
            time.sleep(rng.uniform(0, 0.05))

    def pop3_session(self, client, rng, user):
        _, listing, _ = client.uidl()
        victims = []
        for line in listing:
            number, uidvalidity, uid = parse_uidl(line)
            token = self.model.token_for(user, "INBOX", uidvalidity, uid)
            if token is None:
                try:
                    header = b"\r\n".join(client.top(number, 0)[1])
                except poplib.error_proto as e:
                    # An IMAP session may expunge a message this maildrop still lists.
                    if not IMAP or not isinstance(e.args[0], bytes):
                        raise
                    self.model.count("POP3 TOP refused (expunged meanwhile over IMAP)")
                    continue
                token = token_of(header)
                if token is None:
                    self.model.fail(f"POP3: message {uid} of {user} has no test Message-ID")
                    continue
                self.model.uid(user, "INBOX", uidvalidity, uid, token, "POP3 UIDL")
            if self.model.seen((user, "INBOX", token), "POP3 UIDL") and rng.random() < 0.5:
                victims.append((number, (user, "INBOX", token)))
        keys = [key for _, key in victims]
        self.model.deleting(keys)
        for number, _ in victims:
            client.dele(number)
        if pop3_quit_acknowledged(client):
            self.model.deleted(keys, "deletion acknowledged (POP3 +OK to QUIT)")
        else:
            self.model.fail(f"POP3 QUIT of {user} not +OK while tern was running")

    # -- IMAP ----------------------------------------------------------------

    def imap_worker(self, n):
        """Sessions on Archive (or INBOX), each a few rounds of UID FETCH, APPEND, UID STORE +FLAGS
        \\Deleted on about a third of what was listed, and EXPUNGE."""
        rng = random.Random(f"{SEED}-{self.number}-imap-{n}")
        sequence = 0
        while not self.stop.is_set():
            user = rng.choice(USERS)
            mailbox = ARCHIVE if rng.random() < 0.7 else "INBOX"
            try:
                client = imap_login(self.tern.ports["imap"], user)
            except (OSError, imaplib.IMAP4.error) as e:
                self.model.error(f"IMAP login of {user}", e)
                time.sleep(0.05)
                continue
            try:
                uidvalidity, _ = imap_select(client, mailbox)
                for _ in range(rng.randint(1, 5)):
                    if self.stop.is_set():
                        break
                    sequence = self.imap_cycle(client, rng, user, mailbox, uidvalidity, n, sequence)
                    time.sleep(rng.uniform(0, 0.03))
                client.logout()
            except (OSError, imaplib.IMAP4.error) as e:
                self.model.error(f"IMAP session of {user} on {mailbox}", e)
                imap_drop(client)
            time.sleep(rng.uniform(0, 0.05))

    def imap_cycle(self, client, rng, user, mailbox, uidvalidity, n, sequence):
        flagged, candidates = [], []
        for uid, flags, header in imap_fetch(client, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"):
            token = token_of(header)
            if token is None:
                self.model.fail(f"IMAP: UID {uid} of {user} {mailbox} has no test Message-ID")
                continue
            key = (user, mailbox, token)
            self.model.uid(user, mailbox, uidvalidity, uid, token, "IMAP UID FETCH")
            if not self.model.seen(key, "IMAP UID FETCH"):
                continue
            # Flagged by a session whose EXPUNGE did not happen: this EXPUNGE removes it.
            (flagged if "\\Deleted" in flags else candidates).append((uid, key))
        for _ in range(rng.randint(1, 4)):
            sequence += 1
            token = self.token("i", n, sequence)
            key = (user, mailbox, token)
            self.model.adding([key])
            typ, data = client.append(mailbox, None, None, message_bytes(token))
            if typ != "OK":
                self.model.refused([key], f"APPEND refused ({typ})")
                self.model.fail(f"APPEND of {token} to {user} {mailbox}: {typ} {data}")
                continue
            self.model.added([key], "APPEND acknowledged (OK)")
            match = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0] or b"")
            if match:
                self.model.uid(user, mailbox, int(match.group(1)), int(match.group(2)), token, "APPENDUID")
        victims = [c for c in candidates if rng.random() < 0.35]
        self.model.deleting([key for _, key in flagged + victims])
        if victims:
            typ, data = client.uid("STORE", ",".join(str(uid) for uid, _ in victims), "+FLAGS", "(\\Deleted)")
            if typ != "OK":
                self.model.fail(f"UID STORE +FLAGS \\Deleted in {user} {mailbox}: {typ} {data}")
                return sequence
        if flagged or victims:
            typ, data = client.expunge()
            if typ == "OK":
                self.model.deleted([key for _, key in flagged + victims], "expunge acknowledged (IMAP OK)")
            else:
                self.model.fail(f"EXPUNGE in {user} {mailbox}: {typ} {data}")
        return sequence

    # -- checks after a kill and after a restart -------------------------------

    def check_database(self, when):
        """PRAGMA integrity_check and foreign_key_check on the database as the kill left it; a
        read-only connection neither recovers nor checkpoints anything."""
        connection = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            connection.close()
        if integrity != ["ok"]:
            self.model.fail(f"{when}: PRAGMA integrity_check: {integrity[:20]}")
        if foreign:
            self.model.fail(f"{when}: PRAGMA foreign_key_check: {foreign[:20]}")
        self.check_failures(when)

    def verify(self, when):
        """Every user's INBOX through POP3 (UIDL and RETR of each message) and, with IMAP, Archive
        through IMAP (UID FETCH BODY.PEEK[]), against the model and `tern mailbox list`."""
        for user in USERS:
            status = mailbox_status(self.tern, user)
            for mailbox in self.mailboxes:
                stored = self.pop3_contents(user) if mailbox == "INBOX" else self.imap_contents(user, mailbox)
                self.check_mailbox(when, user, mailbox, status[mailbox], stored)
        self.check_failures(when)

    def pop3_contents(self, user):
        """[(uidvalidity, uid, raw message)] of the user's INBOX."""
        client = pop3_login(self.tern.ports["pop3"], user)
        try:
            _, listing, _ = client.uidl()
            stored = []
            for line in listing:
                number, uidvalidity, uid = parse_uidl(line)
                stored.append((uidvalidity, uid, b"\r\n".join(client.retr(number)[1]) + b"\r\n"))
            client.quit()
        finally:
            client.close()
        return stored

    def imap_contents(self, user, mailbox):
        client = imap_login(self.tern.ports["imap"], user)
        try:
            uidvalidity, exists = imap_select(client, mailbox)
            stored = [(uidvalidity, uid, raw) for uid, _, raw in imap_fetch(client, "(UID BODY.PEEK[])")] \
                if exists else []
        except BaseException:
            imap_drop(client)
            raise
        client.logout()
        return stored

    def check_mailbox(self, when, user, mailbox, status, stored):
        fail, where = self.model.fail, f"{when}: {user} {mailbox}"
        box = (user, mailbox)
        if status["messages"] != len(stored):
            fail(f"{where}: `tern mailbox list` counts {status['messages']} messages, "
                 f"the client sees {len(stored)}")
        uidvalidity = status["uidvalidity"]
        if self.uidvalidity.setdefault(box, uidvalidity) != uidvalidity:
            fail(f"{where}: UIDVALIDITY changed from {self.uidvalidity[box]} to {uidvalidity}")
        if status["uidnext"] < self.uidnext.get(box, 0):
            fail(f"{where}: UIDNEXT went back from {self.uidnext[box]} to {status['uidnext']}")
        self.uidnext[box] = status["uidnext"]
        highest = self.model.max_uid(user, mailbox, uidvalidity)
        if status["uidnext"] <= highest:
            fail(f"{where}: UIDNEXT {status['uidnext']} is not above UID {highest}, seen before the kill")
        self.model.count(f"messages stored in {mailbox}", len(stored))
        tokens = collections.Counter()
        for seen_uidvalidity, uid, raw in stored:
            token = token_of(raw)
            if token is None:
                fail(f"{where}: UID {uid} has no test Message-ID: {raw[:300]!r}")
                continue
            tokens[token] += 1
            if seen_uidvalidity != uidvalidity:
                fail(f"{where}: UID {uid} served with UIDVALIDITY {seen_uidvalidity}, not {uidvalidity}")
            if uid >= status["uidnext"]:
                fail(f"{where}: UID {uid} is not below UIDNEXT {status['uidnext']}")
            self.model.uid(user, mailbox, seen_uidvalidity, uid, token, where)
            if not raw.endswith(message_bytes(token)):
                fail(f"{where}: {token} (UID {uid}) is not stored whole: {len(raw)} bytes, "
                     f"ends {raw[-120:]!r}")
        for token, count in tokens.items():
            if count > 1:
                fail(f"{where}: {token} is stored {count} times")
        self.model.resolve(user, mailbox, set(tokens))

    def check_failures(self, when):
        with self.model.lock:
            failures = list(self.model.failures)
        if not failures:
            return
        kept = tempfile.mkdtemp(prefix="tern-crash-failure-")
        try:
            shutil.copytree(self.tern.root, kept, dirs_exist_ok=True)
        except OSError as e:
            kept = f"(not kept: {e})"
        shown = "\n  ".join(failures[:30])
        more = f"\n  ... and {len(failures) - 30} more" if len(failures) > 30 else ""
        self.fail(f"{when}, TERN_CRASH_SEED={SEED}: {len(failures)} problem(s); data dir and logs kept in "
                  f"{kept}\n  {shown}{more}")


if __name__ == "__main__":
    unittest.main()
