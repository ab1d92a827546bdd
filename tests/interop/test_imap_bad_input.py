"""Bad and hostile input to tern's IMAP server over raw sockets: overlong
lines, literals over the limits (refused before the continuation, the
connection still usable), NUL octets, malformed sequence sets, commands in
the wrong state, unknown commands, the error count that ends a session,
malformed mailbox names (modified UTF-7 and UTF-8), bare LFs in APPEND,
data pipelined after STARTTLS, password guessing, and one user trying to
reach another user's mailboxes."""
import base64
import itertools
import re
import socket
import ssl
import time
import unittest

from harness import Tern, insecure_tls_context, mailbox_count
from imap_raw import RawImap, fetch_items

PASSWORD = "bad-input pass 3"
MAX_MESSAGE = 100000  # [limits] max_message_size, so that oversized APPENDs stay cheap
MAX_MAILBOXES = 40
_counter = itertools.count()


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("imap", "imaps"), extra=f"[limits]\nmax_message_size = {MAX_MESSAGE}\n"
                                                                     f"max_mailboxes = {MAX_MAILBOXES}\n")
        cls.tern.cli("domain", "add", "example.test")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, "tern serve did not exit 0"
        finally:
            cls.tern.close()

    def setUp(self):
        self.connections = []

    def tearDown(self):
        for c in self.connections:
            c.close()

    def new_user(self):
        address = f"bad{next(_counter)}@example.test"
        self.tern.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
        return address

    def plain(self):
        """A connection to the STARTTLS listener, not logged in."""
        r = RawImap(self.tern.ports["imap"], timeout=10)
        self.connections.append(r)
        self.assertTrue(r.greeting.startswith(b"* OK"), r.greeting)
        return r

    def tls(self, address=None, select=None):
        """A connection over implicit TLS, logged in when an address is given."""
        r = RawImap(self.tern.ports["imaps"], tls=True, timeout=10)
        self.connections.append(r)
        if address:
            self.expect_ok(r, f'LOGIN {address} "{PASSWORD}"')
        if select:
            self.expect_ok(r, f"SELECT {select}")
        return r

    def tls_from(self, source):
        """A connection over implicit TLS from the given loopback address, not logged in."""
        sock = socket.create_connection(("127.0.0.1", self.tern.ports["imaps"]), timeout=30,
                                        source_address=(source, 0))
        r = RawImap.__new__(RawImap)  # RawImap connects by itself; this one needs a source address
        r.sock = insecure_tls_context().wrap_socket(sock, server_hostname="mail.example.test")
        r.buf, r.counter = b"", 0
        r.greeting = r.line()
        self.connections.append(r)
        return r

    def expect_ok(self, r, command):
        untagged, status = r.command(command)
        self.assertTrue(status.startswith("OK"), f"{command!r}: {status}")
        return untagged

    def expect_bad(self, r, command, code=None):
        untagged, status = r.command(command)
        self.assertTrue(status.startswith("BAD"), f"{command!r}: {status}")
        if code:
            self.assertIn(f"[{code}]", status)
        return untagged

    def expect_refused(self, r, command):
        """NO or BAD: which one is the server's choice."""
        untagged, status = r.command(command)
        self.assertTrue(status.startswith("NO") or status.startswith("BAD"), f"{command!r}: {status}")
        return status

    def still_usable(self, r):
        self.expect_ok(r, "NOOP")

    def next_line(self, r, timeout=5):
        r.sock.settimeout(timeout)
        try:
            return r.line()
        finally:
            r.sock.settimeout(10)

    def append(self, r, mailbox, message):
        self.expect_ok(r, b"APPEND " + mailbox.encode() + b" {%d+}\r\n" % len(message) + message)

    # ---- lines and literals ----

    def test_overlong_line(self):
        r = self.plain()
        self.expect_bad(r, "a NOOP " + "x" * 20000, "TOOBIG")
        self.still_usable(r)
        # A line of 1 MiB without an end: refused when it ends, nothing kept in between.
        r.send(b"b NOOP " + b"y" * (1 << 20))
        r.send(b"\r\n")
        self.assertTrue(self.next_line(r).startswith(b"b BAD [TOOBIG]"))
        self.still_usable(r)

    def test_huge_literal_refused_before_continuation(self):
        r = self.plain()
        for command in (b"a1 LOGIN {4294967296}\r\n", b"a2 LOGIN user {4294967296}\r\n",
                        b"a3 LOGIN {99999999999999999999999999}\r\n", b"a4 AUTHENTICATE PLAIN {4294967296}\r\n"):
            r.send(command)
            line = self.next_line(r)
            # No "+": the answer is the tagged refusal, and the client never sends the bytes.
            self.assertTrue(line.startswith(command.split()[0] + b" BAD") or
                            line.startswith(command.split()[0] + b" NO"), (command, line))
        self.still_usable(r)

        address = self.new_user()
        r = self.tls(address, select="INBOX")
        for prefix in ("APPEND INBOX", "APPEND INBOX (\\Seen)", "SEARCH TEXT", "CREATE", "SELECT", "STATUS",
                       'LIST ""', "RENAME x", "FETCH 1 BODY[HEADER.FIELDS (", 'ID ("name"', "STORE 1 +FLAGS (",
                       "COPY 1", "SUBSCRIBE", "UID MOVE 1", "APPEND INBOX ~"):
            tag = f"h{next(_counter)}"
            r.send(f"{tag} {prefix} {{4294967296}}\r\n".encode())
            line = self.next_line(r)
            self.assertRegex(line, rf"^{tag} (BAD|NO) \[TOOBIG\]".encode(), prefix)
        # Just over the APPEND limit: refused before "+" as well.
        r.send(b"h APPEND INBOX {%d}\r\n" % (MAX_MESSAGE + 1))
        self.assertRegex(self.next_line(r), rb"^h (BAD|NO) \[TOOBIG\]")
        self.still_usable(r)
        # Under the limit: the continuation comes.
        r.send(b"h2 APPEND INBOX {%d}\r\n" % 30)
        self.assertTrue(self.next_line(r).startswith(b"+"))
        r.send(b"Subject: fits\r\n\r\n" + b"x" * 11 + b"\r\n\r\n")
        line = self.next_line(r)
        while line.startswith(b"* "):
            line = self.next_line(r)
        self.assertTrue(line.startswith(b"h2 OK"), line)

    def test_non_synchronizing_literal_over_the_limit(self):
        address = self.new_user()
        r = self.tls(address, select="INBOX")
        # LITERAL+ (RFC 7888): the bytes come anyway; they are read and dropped, then the refusal.
        untagged, status = r.command(b"SEARCH TEXT {200000+}\r\n" + b"x" * 200000)
        self.assertTrue(status.startswith("BAD [TOOBIG]"), status)
        untagged, status = r.command(b"APPEND INBOX {%d+}\r\n" % (MAX_MESSAGE * 2) + b"y" * (MAX_MESSAGE * 2))
        self.assertRegex(status, r"^(BAD|NO) \[TOOBIG\]")
        self.still_usable(r)
        self.assertEqual(mailbox_count(self.tern, address), 0)
        # The dropped bytes were not read as commands: a literal full of command lines.
        evil = b"x1 CREATE Injected\r\n" * 20000
        untagged, status = r.command(b"SEARCH TEXT {%d+}\r\n" % len(evil) + evil)
        self.assertTrue(status.startswith("BAD [TOOBIG]"), status)
        self.assertEqual(untagged, b"")
        self.still_usable(r)
        self.assertNotIn("Injected", self.tern.mailbox_counts(address))

    def test_non_synchronizing_literal_over_the_limit_before_login_ends_the_connection(self):
        # Before login such bytes are not worth reading (RFC 7888 4): BYE at
        # once, whether the literal is over the reader's bound or only over
        # the bound before login, and the connection closes while the client
        # is still sending.
        for announcement in (b"a LOGIN {4294967295+}\r\n", b"a LOGIN {100000+}\r\n", b"a LOGIN {9000+}\r\n"):
            r = self.plain()
            r.send(announcement)
            started = time.monotonic()
            sent = 0
            closed = False
            try:
                while sent < 100 << 20 and time.monotonic() - started < 10:
                    r.send(b"x" * 65536)
                    sent += 65536
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            self.assertTrue(closed, f"{announcement!r}: {sent} octets accepted")
            self.assertLess(sent, 100 << 20)
        self.assertIn("event=literal_refused", self.tern.read_log())

    def test_nul_octets(self):
        r = self.plain()
        self.expect_bad(r, b"a NOOP\0")
        self.expect_bad(r, b'b LOGIN "us\0er" x')
        self.expect_bad(r, b"c CAPA\0BILITY")
        self.still_usable(r)
        address = self.new_user()
        r = self.tls(address)
        message = b"Subject: nul\r\n\r\na\0b\r\n"
        # NUL in a plain literal is refused (RFC 9051 4.3); literal8 carries it (RFC 3516 4.4).
        self.expect_bad(r, b"APPEND INBOX {%d+}\r\n" % len(message) + message)
        self.expect_bad(r, b'CREATE "a\0b"')
        self.expect_ok(r, b"APPEND INBOX ~{%d+}\r\n" % len(message) + message)
        self.expect_ok(r, "SELECT INBOX")
        items = fetch_items(self.expect_ok(r, "FETCH 1 (BINARY.PEEK[] BODY.PEEK[])"))
        self.assertEqual(items["BINARY[]"], message)
        # BODY[] never carries NUL in a literal: it is replaced.
        self.assertNotIn(b"\0", items["BODY[]"])
        self.assertEqual(len(items["BODY[]"]), len(message))

    def test_bad_sequence_sets(self):
        address = self.new_user()
        r = self.tls(address)
        self.append(r, "INBOX", b"Subject: one\r\n\r\none\r\n")
        self.append(r, "INBOX", b"Subject: two\r\n\r\ntwo\r\n")
        bads = ("0", "0:1", "1::", "a", "4294967296", "1,,2", "*:", '""', "-1", "1:2:3", ",1", "1,",
                "18446744073709551617", "1.5", "(1)")
        for i, bad in enumerate(bads):
            if i % 6 == 0:  # a new session before the error count ends this one
                r = self.tls(address, select="INBOX")
            self.expect_bad(r, f"FETCH {bad} FLAGS")
            self.expect_bad(r, f"UID FETCH {bad} FLAGS")
            self.expect_bad(r, f"STORE {bad} +FLAGS (\\Seen)")
        # Numbers past the mailbox's end: refused for sequence numbers, ignored for UIDs.
        self.expect_refused(r, "FETCH 99 FLAGS")
        self.expect_refused(r, "COPY 3:5 Archive")
        self.assertEqual(self.expect_ok(r, "UID FETCH 99 FLAGS"), b"")
        self.assertEqual(len(re.findall(rb"FETCH", self.expect_ok(r, "UID FETCH 2:4294967295 (UID)"))), 1)
        self.assertEqual(len(re.findall(rb"FETCH", self.expect_ok(r, "FETCH 2:* (UID)"))), 1)
        self.assertEqual(len(re.findall(rb"FETCH", self.expect_ok(r, "FETCH *:1 (UID)"))), 2)
        # "$" without a saved result is the empty set (RFC 5182 2.1).
        self.expect_ok(r, "FETCH $ (UID)")
        self.still_usable(r)

    # ---- states and commands ----

    def test_commands_in_the_wrong_state(self):
        r = self.plain()
        for command in ("SELECT INBOX", "LIST \"\" *", "FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "IDLE",
                        "CREATE x", "EXPUNGE", "CLOSE", "ENABLE UTF8=ACCEPT",
                        "NAMESPACE", "UID FETCH 1 FLAGS"):
            self.expect_bad(r, command)
        self.expect_ok(r, "CAPABILITY")
        self.expect_ok(r, "NOOP")
        # APPEND before login: refused before the continuation.
        r.send(b"ap APPEND INBOX {20}\r\n")
        self.assertTrue(self.next_line(r).startswith(b"ap BAD"))
        self.expect_ok(r, "NOOP")
        address = self.new_user()
        r = self.tls(address)
        for command in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "EXPUNGE", "CLOSE", "UNSELECT",
                        "COPY 1 Archive", "MOVE 1 Archive", "UID EXPUNGE 1", f'LOGIN {address} "{PASSWORD}"',
                        "AUTHENTICATE PLAIN", "STARTTLS"):
            self.expect_bad(r, command)
        self.expect_ok(r, "SELECT INBOX")
        self.expect_bad(r, f'LOGIN {address} "{PASSWORD}"')
        self.expect_bad(r, "STARTTLS")
        self.expect_ok(r, "CLOSE")
        self.expect_bad(r, "CLOSE")
        # IDLE answers DONE only; anything else while idling ends the IDLE with a BAD.
        self.expect_ok(r, "SELECT INBOX")
        r.send(b"i IDLE\r\n")
        self.assertTrue(self.next_line(r).startswith(b"+"))
        r.send(b"NOOP\r\n")
        line = self.next_line(r)
        while line.startswith(b"*"):
            line = self.next_line(r)
        self.assertTrue(line.startswith(b"i BAD") or line.startswith(b"* BAD") or line.startswith(b"i OK"), line)
        self.still_usable(r)

    def test_unknown_and_malformed_commands(self):
        r = self.plain()
        self.expect_bad(r, "FROBNICATE")
        self.expect_bad(r, "XYZZY a b c")
        r.send(b"\r\n")  # an empty line
        self.assertTrue(self.next_line(r).startswith(b"* BAD"))
        r.send(b"notag\r\n")
        self.assertRegex(self.next_line(r), rb"^(\* |notag )BAD")
        r.send(b"a{ NOOP\r\n")  # a tag with a forbidden character
        self.assertRegex(self.next_line(r), rb"^(\*|a\{?) BAD")
        self.expect_bad(r, 'LOGIN "unterminated')
        self.expect_bad(r, "LOGIN a")
        self.expect_bad(r, "LOGIN a b c")
        self.expect_bad(r, "CAPABILITY extra")
        self.still_usable(r)

    def test_deep_nesting_and_long_lists(self):
        address = self.new_user()
        r = self.tls(address, select="INBOX")
        self.expect_bad(r, "SEARCH " + "(" * 200 + "ALL" + ")" * 200)
        self.expect_bad(r, "SEARCH " + "NOT " * 5000 + "ALL")
        self.expect_bad(r, "SEARCH " + "OR ALL " * 3000 + "ALL")
        self.expect_bad(r, 'ID (' + '"k" (' * 100 + ")" * 101)
        self.expect_ok(r, "SEARCH " + "(" * 5 + "ALL" + ")" * 5)
        # A sequence set of 1000 ranges within the line limit is fine.
        self.expect_ok(r, "UID FETCH " + ",".join(str(i) for i in range(1, 1001)) + " (FLAGS)")
        self.still_usable(r)

    def test_too_many_errors_end_the_session(self):
        r = self.plain()
        r.send(b"".join(b"x%d FROBNICATE\r\n" % i for i in range(40)))
        lines = []
        r.sock.settimeout(10)
        try:
            while True:
                lines.append(r.line())
        except ConnectionError:
            pass
        self.assertTrue(lines[-1].startswith(b"* BYE"), lines[-3:])
        bads = [l for l in lines if b" BAD " in l]
        self.assertGreaterEqual(len(bads), 5)
        self.assertLess(len(bads), 40)
        # After login too, and a new connection is still served.
        address = self.new_user()
        r = self.tls(address, select="INBOX")
        r.send(b"".join(b"y%d FETCH 0 FLAGS\r\n" % i for i in range(40)))
        lines = []
        try:
            while True:
                lines.append(r.line())
        except (ConnectionError, ssl.SSLError):
            pass
        self.assertTrue(lines[-1].startswith(b"* BYE"), lines[-3:])
        self.still_usable(self.tls(address))

    # ---- mailbox names ----

    def test_invalid_mailbox_names(self):
        address = self.new_user()
        r = self.tls(address)
        before = set(self.tern.mailbox_counts(address))
        # Modified UTF-7 (RFC 3501 5.1.3): unterminated, non-canonical, raw 8-bit.
        for name in (b'"&Jjo"', b'"&AGE-"', b'"&U,BTFw-&ZeVnLIqe-"', b'"&2D3-"', b'"&AOk"', b'"&-AOk"x',
                     b'"caf\xc3\xa9"', b'"\xff\xfe"', b'"a\x01b"', b'"a//b"', b'"/x"', b'"a%b"', b'"a*b"', b'""'):
            self.expect_refused(r, b"CREATE " + name)
        # 8-bit names without UTF8=ACCEPT are refused everywhere, not only in CREATE.
        self.expect_refused(r, b'SELECT "caf\xc3\xa9"')
        self.expect_refused(r, b'RENAME Archive "caf\xc3\xa9"')
        # Invalid UTF-8 after ENABLE UTF8=ACCEPT: overlong, lone surrogate, truncated, stray continuation.
        self.expect_ok(r, "ENABLE UTF8=ACCEPT")
        for name in (b'"\xff\xfe"', b'"\xc3\x28"', b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"\xe2\x82"', b'"\x80abc"',
                     b'"\xf4\x90\x80\x80"'):
            self.expect_refused(r, b"CREATE " + name)
            self.expect_refused(r, b"SELECT " + name)
            self.expect_refused(r, b'STATUS ' + name + b' (MESSAGES)')
        # One level may hold at most 255 octets.
        self.expect_refused(r, "CREATE " + "n" * 300)
        self.assertEqual(set(self.tern.mailbox_counts(address)), before)
        self.still_usable(r)

    def test_names_that_could_never_exist_never_reach_the_store(self):
        address = self.new_user()
        r = self.tls(address)
        log_before = len(self.tern.read_log())
        names = [b'"/alice/INBOX"', b'"//INBOX"', b'"%"', b'"*"', b'"&AAA-"', b'"INBOX/"',
                 b'{10000+}\r\n' + b"x" * 10000, b'"' + b"/".join([b"a"] * 1000) + b'"']
        for name in names:
            for command in (b"SELECT ", b"EXAMINE ", b"SUBSCRIBE ", b"UNSUBSCRIBE ", b"DELETE "):
                status = self.expect_refused(r, command + name)
                self.assertTrue(status.startswith("NO [NONEXISTENT]") or status.startswith("BAD"),
                                (command + name[:40], status))
            status = self.expect_refused(r, b"STATUS " + name + b" (MESSAGES)")
            self.assertNotIn("SERVERBUG", status)
            status = self.expect_refused(r, b"CREATE " + name)
            self.assertNotIn("SERVERBUG", status)
        log = self.tern.read_log()[log_before:]
        self.assertNotIn("level=error", log)
        self.assertNotIn("store_error", log)
        self.still_usable(r)

    def test_names_are_bounded_and_free_of_bidi_controls(self):
        address = self.new_user()
        r = self.tls(address)
        before = set(self.tern.mailbox_counts(address))
        # One CREATE may not make 200 nested mailboxes: 32 levels at most.
        status = self.expect_refused(r, "CREATE " + "/".join(["d"] * 200))
        self.assertTrue(status.startswith("NO [CANNOT]"), status)
        self.expect_ok(r, "CREATE " + "/".join(["d"] * 32))
        self.expect_refused(r, "CREATE " + "/".join(["d"] * 33))
        # A right-to-left override (U+202E) would make "exe.txt" read as "txt.exe".
        self.expect_ok(r, "ENABLE UTF8=ACCEPT")
        for name in ("Invoice\u202etxt.exe", "a\u2066b", "a\u200fb", "a\u0085b"):
            status = self.expect_refused(r, f'CREATE "{name}"'.encode())
            self.assertTrue(status.startswith("NO [CANNOT]"), (name, status))
            status = self.expect_refused(r, f'RENAME d "{name}"'.encode())
            self.assertTrue(status.startswith("NO [CANNOT]"), (name, status))
        created = set(self.tern.mailbox_counts(address)) - before
        self.assertEqual(len(created), 32)
        # The account holds MAX_MAILBOXES mailboxes at most (INBOX and the 32 above count).
        n = len(before) + len(created)
        while n < MAX_MAILBOXES:
            self.expect_ok(r, f"CREATE m{n}")
            n += 1
        status = self.expect_refused(r, "CREATE one-too-many")
        self.assertTrue(status.startswith("NO [LIMIT]"), status)
        status = self.expect_refused(r, "CREATE m0/child")
        self.assertTrue(status.startswith("NO [LIMIT]"), status)
        # Renaming keeps the count; deleting makes room.
        self.expect_ok(r, f"RENAME m{MAX_MAILBOXES - 1} renamed")
        self.expect_ok(r, "DELETE renamed")
        self.expect_ok(r, "CREATE fits-again")
        self.assertIn("event=mailbox_limit", self.tern.read_log())
        self.still_usable(r)

    # ---- message data ----

    def test_append_with_bare_lf_is_stored_with_crlf(self):
        address = self.new_user()
        r = self.tls(address)
        message = b"Subject: bare LF\nFrom: a@b.test\n\nline one\nline two\r\nline three\n"
        canonical = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self.append(r, "INBOX", message)
        self.expect_ok(r, "SELECT INBOX")
        items = fetch_items(self.expect_ok(r, "FETCH 1 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT] BODYSTRUCTURE)"))
        self.assertEqual(items["BODY[]"], canonical)
        self.assertEqual(int(items["RFC822.SIZE"]), len(canonical))
        self.assertEqual(items["BODY[TEXT]"], b"line one\r\nline two\r\nline three\r\n")
        self.assertEqual(int(items["BODYSTRUCTURE"][6]), len(b"line one\r\nline two\r\nline three\r\n"))
        self.assertEqual(int(items["BODYSTRUCTURE"][7]), 3)

    # ---- STARTTLS ----

    def test_starttls_with_pipelined_data_is_not_executed(self):
        address = self.new_user()
        r = self.plain()
        r.send(b"a STARTTLS\r\nb LOGIN " + address.encode() + b' "' + PASSWORD.encode() + b'"\r\nc CREATE Injected\r\n')
        # Either the connection ends, or TLS starts and the pipelined commands are gone.
        r.sock.settimeout(5)
        data = r.buf
        try:
            while b"a OK" not in data:
                chunk = r.sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        self.assertNotIn(b"b OK", data)
        self.assertNotIn(b"b NO", data)
        self.assertNotIn(b"c ", data)
        if b"a OK" in data:
            tail = data.split(b"a OK", 1)[1].split(b"\r\n", 1)[1]
            self.assertEqual(tail, b"")
            try:
                r.sock = insecure_tls_context().wrap_socket(r.sock, server_hostname="mail.example.test")
                r.buf = b""
                untagged, status = r.command("NOOP")
                self.assertNotIn(b"b ", untagged)
                self.assertNotIn(b"c ", untagged)
            except (ssl.SSLError, ConnectionError, OSError):
                pass  # the server hung up instead: also fine
        self.assertNotIn("Injected", self.tern.mailbox_counts(address))
        # A STARTTLS with nothing after it works, and the session starts afresh.
        r = self.plain()
        self.expect_ok(r, "STARTTLS")
        r.sock = insecure_tls_context().wrap_socket(r.sock, server_hostname="mail.example.test")
        untagged = self.expect_ok(r, "CAPABILITY")
        self.assertNotIn(b"STARTTLS", untagged)
        self.assertNotIn(b"LOGINDISABLED", untagged)
        self.expect_bad(r, "STARTTLS")
        self.expect_ok(r, f'LOGIN {address} "{PASSWORD}"')

    # ---- passwords ----

    def test_wrong_passwords_are_throttled_and_the_right_one_still_works(self):
        address = self.new_user()
        took = []
        # From an address of its own, so other tests' attempts do not count.
        for i in range(3):
            r = self.tls_from("127.0.0.23")
            started = time.monotonic()
            _, status = r.command(f'LOGIN {address} "wrong {i}"')
            took.append(time.monotonic() - started)
            self.assertTrue(status.startswith("NO [AUTHENTICATIONFAILED]"), status)
            # The same session may try again; a second wrong one in it is refused as well.
            if i == 2:
                _, status = r.command(
                    "AUTHENTICATE PLAIN " + base64.b64encode(f"\0{address}\0wrong again".encode()).decode())
                self.assertTrue(status.startswith("NO"), status)
                # ... and the right one then works in that same session.
                self.expect_ok(r, f'LOGIN {address} "{PASSWORD}"')
        # Each failure is answered later than the one before (250 ms, doubling).
        self.assertGreater(took[0], 0.2, took)
        self.assertGreater(took[2], took[0] + 0.4, took)
        # The right password from another address is not held up.
        started = time.monotonic()
        r = self.tls(address)
        self.assertLess(time.monotonic() - started, 5)
        self.expect_ok(r, "SELECT INBOX")

    def test_authenticate_malformed_and_cancelled(self):
        address = self.new_user()
        r = self.tls()
        self.expect_bad(r, "AUTHENTICATE PLAIN !!!notbase64")
        self.expect_refused(r, "AUTHENTICATE X-UNKNOWN")
        # A cancelled exchange (RFC 9051 6.2.2): "*" answers BAD.
        r.send(b"c AUTHENTICATE PLAIN\r\n")
        self.assertTrue(self.next_line(r).startswith(b"+"))
        r.send(b"*\r\n")
        self.assertTrue(self.next_line(r).startswith(b"c BAD"))
        # Another user as the authorization identity: refused.
        other = self.new_user()
        untagged, status = r.command(
            "AUTHENTICATE PLAIN " + base64.b64encode(f"{other}\0{address}\0{PASSWORD}".encode()).decode())
        self.assertTrue(status.startswith("NO"), status)
        self.expect_ok(r, "AUTHENTICATE PLAIN " + base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode())

    # ---- isolation ----

    def test_one_user_cannot_reach_another_users_mailboxes(self):
        alice, bob = self.new_user(), self.new_user()
        b = self.tls(bob)
        self.expect_ok(b, "CREATE Secret")
        self.expect_ok(b, "CREATE Secret/Deeper")
        self.append(b, "Secret", b"Subject: bob's secret\r\n\r\nfor bob only\r\n")
        self.append(b, "INBOX", b"Subject: bob's inbox\r\n\r\nfor bob only\r\n")
        bob_before = self.tern.mailbox_counts(bob)

        a = self.tls(alice)
        self.append(a, "INBOX", b"Subject: alice's\r\n\r\nalice\r\n")
        bob_local = bob.split("@")[0]
        names = ["Secret", "Secret/Deeper", f"{bob}/INBOX", f"{bob}/Secret", f"../{bob}/Secret",
                 f"~{bob_local}/Secret", f"#users/{bob_local}/Secret", f"Other Users/{bob_local}/Secret",
                 f"user/{bob_local}/Secret", f"user.{bob_local}.Secret", f"/{bob}/Secret", "../Secret"]
        for name in names:
            quoted = '"' + name + '"'
            self.expect_refused(a, f"SELECT {quoted}")
            self.expect_refused(a, f"EXAMINE {quoted}")
            self.expect_refused(a, f"STATUS {quoted} (MESSAGES)")
            self.expect_refused(a, f"DELETE {quoted}")
            self.expect_refused(a, f"RENAME {quoted} Mine")
            self.expect_refused(a, b"APPEND " + quoted.encode() + b" {8+}\r\nX: y\r\n\r\n")
        for reference, pattern in (("", "*"), ("", "%/%"), ("", "*Secret*"), (f"~{bob_local}", "*"),
                                   ("#users", "*"), ("", f"{bob}*"), ("..", "*"), ("/", "*")):
            untagged = self.expect_ok(a, f'LIST "{reference}" "{pattern}"')
            self.assertNotIn(b"Secret", untagged)
            self.assertNotIn(bob.encode(), untagged)
        untagged = self.expect_ok(a, 'LIST "" "*" RETURN (STATUS (MESSAGES))')
        self.assertNotIn(b"Secret", untagged)
        self.expect_ok(a, "SELECT INBOX")
        # Only alice's message is there, by sequence number or UID.
        self.assertEqual(len(re.findall(rb"FETCH", self.expect_ok(a, "UID FETCH 1:* (UID)"))), 1)
        for name in ("Secret", f"{bob}/Secret", f"../{bob}/Secret"):
            status = self.expect_refused(a, f'COPY 1 "{name}"')
            self.assertIn("[TRYCREATE]", status)
            self.expect_refused(a, f'MOVE 1 "{name}"')
        # A "Secret" of her own is hers alone.
        self.expect_ok(a, "CREATE Secret")
        self.expect_ok(a, "COPY 1 Secret")
        self.expect_ok(a, "UNSELECT")
        self.expect_ok(a, "DELETE Secret")
        self.assertEqual(self.tern.mailbox_counts(bob), bob_before)
        untagged = self.expect_ok(b, 'LIST "" "*" RETURN (STATUS (MESSAGES))')
        self.assertIn(b"* STATUS Secret (MESSAGES 1)", untagged)
        self.assertNotIn(b"alice", untagged)


if __name__ == "__main__":
    unittest.main()
