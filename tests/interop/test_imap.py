"""IMAP with Python's imaplib (and raw sockets where imaplib has no verb for
an extension) against a running tern: STARTTLS and implicit TLS, LOGIN and
AUTHENTICATE PLAIN, capabilities, the folder commands (LIST and its
extensions, CREATE/DELETE/RENAME with hierarchy and the INBOX rule,
SUBSCRIBE, STATUS), SELECT/EXAMINE, APPEND and MULTIAPPEND, FETCH items and
sections, STORE, SEARCH and ESEARCH, COPY/MOVE/EXPUNGE, ENABLE (CONDSTORE,
UTF8=ACCEPT), and what one session's changes (or an SMTP delivery) look like
to another session, idling or not."""
import base64
import imaplib
import itertools
import re
import smtplib
import socket
import time
import unittest

from harness import Tern, deliver_local, insecure_tls_context, mailbox_count
from imap_raw import RawImap, fetch_items, parse

PASSWORD = "imap pass-word 7"
_counter = itertools.count()

# A multipart message: a quoted-printable UTF-8 text part and a base64 binary part.
BINARY_PAYLOAD = bytes(range(256))
QP_TEXT = "Grüße aus Köln, the figures are attached.\r\n".encode()


def _b64_lines(data):
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i:i + 76] + "\r\n" for i in range(0, len(encoded), 76))


MULTIPART = (
    "From: Alice Example <alice@a.test>\r\n"
    "To: Bob <bob@b.test>, carol@c.test\r\n"
    "Cc: dave@d.test\r\n"
    "Subject: Quarterly report\r\n"
    "Date: Mon, 05 Feb 2024 10:11:12 +0100\r\n"
    "Message-ID: <report-1@a.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    "\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe aus K=C3=B6ln, the figures are attach=\r\n"
    "ed.\r\n"
    "--XYZ\r\n"
    "Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
    "\r\n"
    + _b64_lines(BINARY_PAYLOAD) +
    "--XYZ--\r\n").encode()


def simple(subject, sender="sender@origin.test", body="Hello.\r\n", extra=""):
    return (f"From: {sender}\r\nTo: user@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{abs(hash((subject, sender, body)))}@origin.test>\r\n{extra}\r\n{body}").encode()


# Messages for SEARCH: a base64 body, a quoted-printable body with a soft line
# break, an RFC 2047 subject.
SEARCH_MESSAGES = [
    simple("alpha report", sender="Alice <alice@a.test>", body="The quick brown fox.\r\n"),
    simple("beta", sender="bob@b.test", body=base64.b64encode("Meeting moved to Thursday, Zürich office.\r\n".encode()).decode() + "\r\n",
           extra="MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"),
    simple("=?utf-8?q?gamma_caf=C3=A9?=", sender="carol@c.test", body="soft=\r\nbreak words and K=C3=B6ln\r\n",
           extra="MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"),
    simple("delta", sender="Alice <alice@a.test>", body="Nothing to see here, but a much longer body. " * 20 + "\r\n"),
]


def fetch_parsed(data):
    """imaplib's FETCH data (lines and (line, literal) pairs) as {message number: {item: value}},
    values as imap_raw.parse gives them."""
    responses = []
    previous = None
    for item in data:
        if item is None:
            continue
        piece = item[0] + b"\r\n" + item[1] if isinstance(item, tuple) else item
        # The line read after a literal continues the same response.
        if isinstance(previous, tuple):
            responses[-1] += piece
        else:
            responses.append(piece)
        previous = item
    out = {}
    for response in responses:
        number, rest = response.split(b" ", 1)
        out[int(number)] = fetch_items(b"* " + number + b" FETCH " + rest)
    return out


def ok(result):
    typ, data = result
    if typ != "OK":
        raise AssertionError(f"{typ} {data!r}")
    return data


def list_names(data):
    """imaplib LIST/LSUB data as {name: set of upper-cased attributes}; names keep their case."""
    out = {}
    for line in data:
        if line is None:
            continue
        if isinstance(line, tuple):  # the name came as a literal
            m = re.match(rb"^\(([^)]*)\) ", line[0])
            out[line[1].decode()] = set(m.group(1).decode().upper().split())
            continue
        m = re.match(rb'^\(([^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (.*)$', line)
        name = m.group(2)
        if name.startswith(b'"'):
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        out[name.decode()] = set(m.group(1).decode().upper().split())
    return out


def uid_set(text):
    """A sequence set such as b"1:3,5" as the list of its numbers."""
    out = []
    for part in text.decode().split(","):
        lo, _, hi = part.partition(":")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


class ImapTest(unittest.TestCase):
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
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                if isinstance(c, RawImap):
                    c.close()
                else:
                    c.shutdown()
            except Exception:
                pass

    # ---- helpers ----

    def new_user(self):
        address = f"user{next(_counter)}@example.test"
        self.tern.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
        return address

    def client(self, address):
        """imaplib over implicit TLS, logged in."""
        m = imaplib.IMAP4_SSL("127.0.0.1", self.tern.ports["imaps"], ssl_context=insecure_tls_context(),
                              timeout=15)
        self.clients.append(m)
        ok(m.login(address, PASSWORD))
        return m

    def raw(self, address, select=None):
        """A raw connection over implicit TLS, logged in (and SELECTing a mailbox when asked)."""
        r = RawImap(self.tern.ports["imaps"], tls=True, timeout=15)
        self.clients.append(r)
        _, status = r.command(f'LOGIN {address} "{PASSWORD}"')
        self.assertTrue(status.startswith("OK"), status)
        if select:
            _, status = r.command(f"SELECT {select}")
            self.assertTrue(status.startswith("OK"), status)
        return r

    def append_all(self, m, messages, mailbox="INBOX"):
        for message in messages:
            ok(m.append(mailbox, None, None, message))

    # ---- \Recent (RFC 3501 2.3.2), for IMAP4rev1 clients ----

    def test_recent_goes_to_the_first_session_that_selects(self):
        address = self.new_user()
        deliver_local(self.tern, address, ["first", "second"])
        self.assertEqual(self.tern.wait_for_messages(address, 2), 2)
        watcher = self.client(address)
        # STATUS counts what no session has been told of yet (mutt -Z, mail_check_recent).
        status = watcher.status("INBOX", "(RECENT UNSEEN)")
        self.assertIn(b"RECENT 2", status[1][0], status)
        # EXAMINE looks without taking them.
        watcher.select("INBOX", readonly=True)
        self.assertEqual(watcher.response("RECENT")[1], [b"2"])
        watcher.close()
        first = self.client(address)
        first.select("INBOX")
        self.assertEqual(first.response("RECENT")[1], [b"2"])
        first.response("EXISTS")
        typ, data = first.fetch("1:*", "(FLAGS)")
        self.assertTrue(all(b"\\Recent" in line for line in data), data)
        self.assertEqual(first.search(None, "RECENT")[1], [b"1 2"])
        self.assertEqual(first.search(None, "NEW")[1], [b"1 2"])
        self.assertEqual(first.search(None, "OLD")[1], [b""])
        # A second session is not told again, and STATUS now counts none.
        second = self.client(address)
        self.assertIn(b"RECENT 0", second.status("INBOX", "(RECENT)")[1][0])
        second.select("INBOX")
        self.assertEqual(second.response("RECENT")[1], [b"0"])
        typ, data = second.fetch("1:*", "(FLAGS)")
        self.assertFalse(any(b"\\Recent" in line for line in data), data)
        # Mail arriving while selected is recent: "* n RECENT" follows EXISTS.
        deliver_local(self.tern, address, ["third"])
        self.assertEqual(self.tern.wait_for_messages(address, 3), 3)
        deadline = time.time() + 10
        while time.time() < deadline:
            first.noop()
            if first.untagged_responses.get("EXISTS"):
                break
            time.sleep(0.1)
        self.assertEqual(first.response("EXISTS")[1], [b"3"])
        self.assertEqual(first.response("RECENT")[1], [b"3"])
        self.assertEqual(first.search(None, "RECENT")[1], [b"1 2 3"])
        # \Seen makes a recent message no longer NEW, but it stays recent.
        ok(first.store("1", "+FLAGS", "(\\Seen)"))
        self.assertEqual(first.search(None, "NEW")[1], [b"2 3"])
        # IMAP4rev2 has no \Recent.
        raw = self.raw(address)
        r_untagged, status = raw.command("ENABLE IMAP4rev2")
        self.assertTrue(status.startswith("OK"), status)
        untagged, status = raw.command("SELECT INBOX")
        self.assertNotIn(b"RECENT", untagged)
        untagged, status = raw.command("FETCH 1:* (FLAGS)")
        self.assertNotIn(b"\\Recent", untagged)

    # ---- login and capabilities ----

    def test_starttls_capabilities_and_login(self):
        address = self.new_user()
        m = imaplib.IMAP4("127.0.0.1", self.tern.ports["imap"], timeout=15)
        self.clients.append(m)
        self.assertIn("STARTTLS", m.capabilities)
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertIn("IMAP4REV1", m.capabilities)
        self.assertFalse([c for c in m.capabilities if c.startswith("AUTH=")], m.capabilities)
        with self.assertRaisesRegex(imaplib.IMAP4.error, "PRIVACYREQUIRED"):
            m.login(address, PASSWORD)
        # AUTHENTICATE is refused as well before TLS, even with the response given at once.
        typ, data = m._simple_command("AUTHENTICATE", "PLAIN",
                                      base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode())
        self.assertNotEqual(typ, "OK")
        self.assertEqual(m.state, "NONAUTH")
        ok(m.starttls(insecure_tls_context()))
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        data = ok(m.login(address, PASSWORD))
        self.assertIn(b"[CAPABILITY ", data[0])
        caps = ok(m.capability())[0].decode().upper().split()
        for cap in ("IMAP4REV1", "IMAP4REV2", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN",
                    "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "STATUS=SIZE", "ESEARCH", "SEARCHRES",
                    "CONDSTORE", "BINARY", "MULTIAPPEND", "UTF8=ACCEPT", "ENABLE", "ID", "LITERAL+", "SASL-IR"):
            self.assertIn(cap, caps)
        self.assertNotIn("LOGINDISABLED", caps)
        self.assertEqual(m.logout()[0], "BYE")

    def test_implicit_tls_login_and_authenticate_plain(self):
        address = self.new_user()
        m = self.client(address)
        self.assertEqual(m.state, "AUTH")
        ok(m.noop())
        m.logout()

        m = imaplib.IMAP4_SSL("127.0.0.1", self.tern.ports["imaps"], ssl_context=insecure_tls_context(),
                              timeout=15)
        self.clients.append(m)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        ok(m.authenticate("PLAIN", lambda _: f"\0{address}\0{PASSWORD}".encode()))
        self.assertEqual(m.state, "AUTH")
        ok(m.select("INBOX"))
        m.logout()

        # SASL-IR: the initial response on the command line, no continuation.
        r = RawImap(self.tern.ports["imaps"], tls=True)
        self.clients.append(r)
        untagged, status = r.command("AUTHENTICATE PLAIN " +
                                     base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode())
        self.assertTrue(status.startswith("OK"), status)
        self.assertNotIn(b"+", untagged[:1])
        # A bad password: [AUTHENTICATIONFAILED], and the session is still not logged in.
        r2 = RawImap(self.tern.ports["imaps"], tls=True)
        self.clients.append(r2)
        _, status = r2.command(f'LOGIN {address} "not the password"')
        self.assertTrue(status.startswith("NO [AUTHENTICATIONFAILED]"), status)
        _, status = r2.command("SELECT INBOX")
        self.assertTrue(status.startswith("BAD") or status.startswith("NO"), status)

    def test_id_namespace_check(self):
        address = self.new_user()
        r = self.raw(address)
        untagged, status = r.command('ID ("name" "tern-test" "version" "1")')
        self.assertTrue(status.startswith("OK"), status)
        p = parse(untagged)
        self.assertEqual(p[:2], ["*", "ID"])
        self.assertTrue(p[2] is None or isinstance(p[2], list), p)
        self.assertTrue(r.command("ID NIL")[1].startswith("OK"))
        _, status = r.command("SELECT INBOX")
        self.assertTrue(r.command("CHECK")[1].startswith("OK"))
        untagged, status = r.command("LOGOUT")
        self.assertTrue(untagged.startswith(b"* BYE"), untagged)
        self.assertTrue(status.startswith("OK"), status)

    # ---- folders ----

    def test_list_special_use_and_extended(self):
        address = self.new_user()
        m = self.client(address)
        names = list_names(ok(m.list()))
        self.assertEqual(set(names), {"INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"})
        for name in ("Archive", "Drafts", "Junk", "Sent", "Trash"):
            self.assertIn("\\" + name.upper(), names[name], names)
        self.assertTrue(all("\\HASNOCHILDREN" in a for a in names.values()), names)

        ok(m.create("Work/Projects"))
        ok(m.create("Work/Notes"))
        names = list_names(ok(m.list()))
        self.assertIn("\\HASCHILDREN", names["Work"])
        self.assertIn("\\HASNOCHILDREN", names["Work/Projects"])
        self.assertEqual(set(list_names(ok(m.list('""', "%")))),
                         {"INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash", "Work"})
        self.assertEqual(set(list_names(ok(m.list("Work/", "%")))), {"Work/Projects", "Work/Notes"})
        self.assertEqual(set(list_names(ok(m.list('""', "W*/P*")))), {"Work/Projects"})
        self.assertEqual(set(list_names(ok(m.list('""', "inbox")))), {"INBOX"})

        # LIST (SPECIAL-USE): only the mailboxes with a special use (RFC 6154).
        data = ok(m._simple_command("LIST", "(SPECIAL-USE)", '""', "*"))
        data = m._untagged_response("OK", data, "LIST")[1]
        self.assertEqual(set(list_names(data)), {"Archive", "Drafts", "Junk", "Sent", "Trash"})

        # SUBSCRIBE, LSUB, LIST (SUBSCRIBED), RECURSIVEMATCH's CHILDINFO (RFC 5258).
        # (Whether CREATE subscribes is the server's choice; set the state explicitly.)
        ok(m.subscribe("Work/Projects"))
        for name in ("Work", "Work/Notes"):
            ok(m.subscribe(name))
            ok(m.unsubscribe(name))
        lsub = list_names(ok(m.lsub()))
        self.assertNotIn("Work", lsub)
        self.assertIn("Work/Projects", lsub)
        self.assertNotIn("Work/Notes", lsub)
        typ, data = m._simple_command("LIST", "(SUBSCRIBED)", '""', "*")
        data = m._untagged_response(typ, data, "LIST")[1]
        subscribed = list_names(data)
        self.assertIn("\\SUBSCRIBED", subscribed["Work/Projects"])
        self.assertNotIn("Work/Notes", subscribed)
        r = self.raw(address)
        untagged, status = r.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        self.assertTrue(status.startswith("OK"), status)
        work = [line for line in untagged.split(b"\r\n") if b' "/" Work ' in line or b' "/" "Work" ' in line]
        self.assertEqual(len(work), 1, untagged)
        self.assertRegex(work[0].upper(), rb'\("?CHILDINFO"? \("SUBSCRIBED"\)\)$')
        self.assertNotIn(b"\\SUBSCRIBED", work[0].upper())
        ok(m.unsubscribe("Work/Projects"))
        self.assertNotIn("Work/Projects", list_names(ok(m.lsub())))

        # RETURN (CHILDREN SPECIAL-USE) and LIST-STATUS (RFC 5819).
        self.append_all(m, [simple("one"), simple("two")])
        untagged, status = r.command('LIST "" "*" RETURN (CHILDREN STATUS (MESSAGES UNSEEN SIZE))')
        self.assertTrue(status.startswith("OK"), status)
        lines = untagged.split(b"\r\n")
        self.assertTrue(any(l.startswith(b"* LIST (") and l.endswith(b" INBOX") for l in lines), untagged)
        statuses = {}
        for line in lines:
            if line.startswith(b"* STATUS "):
                name, items = re.match(rb'^\* STATUS ("[^"]*"|\S+) \((.*)\)$', line).groups()
                items = items.decode().split()
                statuses[name.strip(b'"').decode()] = dict(zip(items[::2], items[1::2]))
        self.assertEqual(statuses["INBOX"]["MESSAGES"], "2")
        self.assertEqual(statuses["INBOX"]["UNSEEN"], "2")
        self.assertEqual(statuses["Work/Projects"]["MESSAGES"], "0")
        self.assertEqual(len(statuses), 9, untagged)

        # NAMESPACE: one personal namespace, "/" as separator.
        untagged, status = r.command("NAMESPACE")
        self.assertTrue(status.startswith("OK"), status)
        self.assertEqual(parse(untagged)[2:], [[[b"", b"/"]], None, None])

    def test_list_extended_data_grammar(self):
        address = self.new_user()
        m = self.client(address)
        ok(m.create("Work/Projects"))
        ok(m.subscribe("Work/Projects"))
        ok(m.unsubscribe("Work"))
        untagged, _ = self.raw(address).command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        # RFC 5258 mailbox-list: mailbox SP mbox-list-extended, one space.
        self.assertRegex(untagged, rb'\* LIST \([^)]*\) "/" "?Work"? \("?CHILDINFO"? \("SUBSCRIBED"\)\)\r\n')

    def test_create_delete_rename_hierarchy(self):
        address = self.new_user()
        m = self.client(address)
        ok(m.create("A/B/C"))
        self.assertTrue({"A", "A/B", "A/B/C"} <= set(list_names(ok(m.list()))))
        typ, data = m.create("A/B")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[ALREADYEXISTS]", data[0])
        typ, data = m.create("inbox")
        self.assertEqual(typ, "NO")
        # A mailbox with inferiors is not deleted.
        typ, data = m.delete("A")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[HASCHILDREN]", data[0])
        typ, data = m.delete("Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        # RENAME takes the inferiors along.
        self.append_all(m, [simple("in C")], "A/B/C")
        ok(m.rename("A", "Z"))
        names = set(list_names(ok(m.list())))
        self.assertTrue({"Z", "Z/B", "Z/B/C"} <= names, names)
        self.assertFalse({"A", "A/B", "A/B/C"} & names, names)
        self.assertEqual(ok(m.select("Z/B/C"))[0], b"1")
        ok(m.close())
        # RENAME to an existing name is refused, and so is a rename into its own inferior.
        ok(m.create("Other"))
        self.assertEqual(m.rename("Other", "Z")[0], "NO")
        self.assertEqual(m.rename("Z", "Z/B/C/D")[0], "NO")
        # RENAME to a name under a missing parent creates the parent.
        ok(m.rename("Other", "New/Parent/Other"))
        self.assertTrue({"New", "New/Parent", "New/Parent/Other"} <= set(list_names(ok(m.list()))))
        # Deleting the leaves, then the parents.
        for name in ("Z/B/C", "Z/B", "Z"):
            ok(m.delete(name))
        self.assertFalse({"Z", "Z/B", "Z/B/C"} & set(list_names(ok(m.list()))))
        # INBOX is never deleted.
        self.assertEqual(m.delete("INBOX")[0], "NO")
        # A special-use mailbox can be renamed and keeps its use.
        ok(m.rename("Junk", "Spam"))
        names = list_names(ok(m.list()))
        self.assertIn("\\JUNK", names["Spam"])

    def test_rename_inbox_moves_messages_and_leaves_it_empty(self):
        address = self.new_user()
        m = self.client(address)
        self.append_all(m, [simple("first"), simple("second")])
        ok(m.create("INBOX/Child"))  # not taken along by the INBOX rename (RFC 9051 6.3.6)
        ok(m.rename("INBOX", '"Old Inbox"'))
        names = set(list_names(ok(m.list())))
        self.assertIn("INBOX", names)
        self.assertIn("Old Inbox", names)
        self.assertIn("INBOX/Child", names)
        self.assertEqual(ok(m.status("INBOX", "(MESSAGES)"))[0], b"INBOX (MESSAGES 0)")
        self.assertEqual(ok(m.status('"Old Inbox"', "(MESSAGES)"))[0], b'"Old Inbox" (MESSAGES 2)')
        # New mail still arrives in the (new, empty) INBOX.
        deliver_local(self.tern, address, ["after the rename"])
        self.assertEqual(ok(m.status("INBOX", "(MESSAGES)"))[0], b"INBOX (MESSAGES 1)")

    def test_non_ascii_mailbox_names(self):
        address = self.new_user()
        m = self.client(address)
        # "Entwürfe" in modified UTF-7 (RFC 3501 5.1.3).
        ok(m.create("Entw&APw-rfe"))
        ok(m.create("&ZeVnLIqe-/Sub"))  # 日本語/Sub
        names = set(list_names(ok(m.list())))
        self.assertIn("Entw&APw-rfe", names)
        self.assertIn("&ZeVnLIqe-/Sub", names)
        ok(m.select("Entw&APw-rfe"))
        ok(m.close())
        # The same names in UTF-8 once UTF8=ACCEPT is enabled (RFC 6855).
        r = self.raw(address)
        untagged, status = r.command("ENABLE UTF8=ACCEPT")
        self.assertTrue(status.startswith("OK"), status)
        self.assertIn(b"* ENABLED UTF8=ACCEPT", untagged)
        untagged, status = r.command('LIST "" "*"')
        self.assertTrue(status.startswith("OK"), status)
        self.assertIn('"Entwürfe"'.encode(), untagged)
        self.assertIn('"日本語/Sub"'.encode(), untagged)
        self.assertNotIn(b"&APw-", untagged)
        _, status = r.command('CREATE "Résumé"'.encode())
        self.assertTrue(status.startswith("OK"), status)
        _, status = r.command('SELECT "Entwürfe"'.encode())
        self.assertTrue(status.startswith("OK"), status)
        # ... and the other session sees the new one in modified UTF-7.
        self.assertIn("R&AOk-sum&AOk-", list_names(ok(m.list())))

    def test_status_items(self):
        address = self.new_user()
        m = self.client(address)
        messages = [simple("a"), simple("b"), simple("c")]
        ok(m.append("INBOX", "(\\Seen)", None, messages[0]))
        ok(m.append("INBOX", "(\\Deleted)", None, messages[1]))
        ok(m.append("INBOX", None, None, messages[2]))
        data = ok(m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE DELETED RECENT)"))
        p = parse(data[0])
        items = dict(zip(p[1][::2], p[1][1::2]))
        self.assertEqual(items["MESSAGES"], "3")
        self.assertEqual(items["UNSEEN"], "2")
        self.assertEqual(items["DELETED"], "1")
        self.assertEqual(items["UIDNEXT"], "4")
        self.assertEqual(items["RECENT"], "3")  # no session has selected INBOX yet
        self.assertGreater(int(items["UIDVALIDITY"]), 0)
        self.assertEqual(int(items["SIZE"]), sum(len(x) for x in messages))
        typ, data = m.status("Missing", "(MESSAGES)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])

    # ---- SELECT, APPEND, FETCH, STORE ----

    def test_select_and_examine(self):
        address = self.new_user()
        m = self.client(address)
        self.append_all(m, [simple("one"), simple("two")])
        self.assertEqual(ok(m.select("INBOX")), [b"2"])
        self.assertIn("READ-WRITE", m.untagged_responses)
        flags = m.response("FLAGS")[1][0]
        for flag in (b"\\Seen", b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Draft"):
            self.assertIn(flag, flags)
        self.assertIn(b"\\*", m.response("PERMANENTFLAGS")[1][0])
        self.assertIsNotNone(m.response("UIDVALIDITY")[1][0])
        self.assertEqual(m.response("UIDNEXT")[1][0], b"3")
        ok(m.unselect())
        self.assertEqual(m.state, "AUTH")

        # EXAMINE: read-only; STORE refused, BODY[] does not set \Seen.
        self.assertEqual(ok(m.select("INBOX", readonly=True)), [b"2"])
        self.assertIn("READ-ONLY", m.untagged_responses)
        typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "NO")
        fetched = fetch_parsed(ok(m.fetch("1", "(BODY[])")))
        self.assertNotIn("\\Seen", (fetched[1].get("FLAGS") or []))
        self.assertEqual(m.append("INBOX", None, None, simple("allowed under EXAMINE"))[0], "OK")
        ok(m.close())
        fetched_flags = self.raw(address, select="INBOX").command("FETCH 1:2 (FLAGS)")[0]
        self.assertNotIn(b"\\Seen", fetched_flags)
        self.assertNotIn(b"\\Flagged", fetched_flags)

    def test_append_with_flags_date_and_appenduid(self):
        address = self.new_user()
        m = self.client(address)
        date = imaplib.Time2Internaldate(time.mktime((2024, 2, 1, 10, 11, 12, 0, 0, -1)))
        data = ok(m.append("INBOX", "(\\Flagged \\Seen $Label1)", date, simple("dated")))
        code = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
        self.assertIsNotNone(code, data)
        uidvalidity, uid = code.groups()
        self.assertEqual(uid, b"1")
        ok(m.select("INBOX"))
        self.assertEqual(m.response("UIDVALIDITY")[1][0], uidvalidity)
        items = fetch_parsed(ok(m.uid("FETCH", "1", "(FLAGS INTERNALDATE RFC822.SIZE)")))[1]
        self.assertEqual(set(items["FLAGS"]), {"\\FLAGGED", "\\SEEN", "\\RECENT", "$LABEL1"})
        self.assertEqual(imaplib.Internaldate2tuple(b'INTERNALDATE "' + items["INTERNALDATE"] + b'"')[:6],
                         time.localtime(time.mktime((2024, 2, 1, 10, 11, 12, 0, 0, -1)))[:6])
        self.assertEqual(int(items["RFC822.SIZE"]), len(simple("dated")))
        # The mailbox now offers the keyword.
        ok(m.noop())
        # A missing mailbox: [TRYCREATE].
        typ, data = m.append("Nowhere", None, None, simple("lost"))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])

    def test_append_large_message_with_bare_line_feeds(self):
        """A 3 MiB APPEND goes through the spool (bare LFs made CRLF on the way, as for a small
        one); its size, structure, a partial fetch and the whole text come back as stored."""
        address = self.new_user()
        m = self.client(address)
        lines = [b"line %06d of a large message" % i for i in range(100000)]
        text = (b"Subject: large append\nContent-Type: text/plain\n\n" + b"\n".join(lines) + b"\n")
        canonical = text.replace(b"\n", b"\r\n")
        data = ok(m.append("INBOX", None, None, text))
        self.assertRegex(data[0], rb"\[APPENDUID \d+ 1\]")
        ok(m.select("INBOX"))
        items = fetch_parsed(ok(m.uid("FETCH", "1", "(RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] "
                                                    "BODY.PEEK[]<1000000.20>)")))[1]
        self.assertEqual(int(items["RFC822.SIZE"]), len(canonical))
        self.assertEqual(items["BODY[HEADER.FIELDS (SUBJECT)]"], b"Subject: large append\r\n\r\n")
        self.assertEqual(items["BODY[]<1000000>"], canonical[1000000:1000020])
        whole = ok(m.uid("FETCH", "1", "(BODY.PEEK[])"))
        self.assertEqual(whole[0][1], canonical)

    def test_multiappend(self):
        address = self.new_user()
        r = self.raw(address)
        first, second = simple("multi one"), simple("multi two")
        r.send(b"m1 APPEND INBOX (\\Seen) {%d}\r\n" % len(first))
        self.assertTrue(r.line().startswith(b"+"))
        r.send(first + b' "03-Mar-2024 08:00:00 +0000" {%d}\r\n' % len(second))
        self.assertTrue(r.line().startswith(b"+"))
        r.send(second + b"\r\n")
        line = r.line()
        self.assertRegex(line, rb"^m1 OK \[APPENDUID \d+ 1:2\]")
        _, status = r.command("SELECT INBOX")
        untagged, status = r.command("FETCH 1:2 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        parts = [fetch_items(b"* " + x) for x in untagged.split(b"* ")[1:]]
        self.assertEqual(parts[0]["FLAGS"], ["\\SEEN", "\\RECENT"])
        self.assertEqual(parts[1]["FLAGS"], ["\\RECENT"])
        self.assertEqual(time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "' + parts[1]["INTERNALDATE"] + b'"')),
                         time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "03-Mar-2024 08:00:00 +0000"')))
        self.assertEqual(parts[1]["BODY[HEADER.FIELDS (SUBJECT)]"], b"Subject: multi two\r\n\r\n")
        # LITERAL+ (RFC 7888): no continuation waited for.
        third = simple("literal plus")
        untagged, status = r.command(b"APPEND INBOX {%d+}\r\n" % len(third) + third)
        self.assertTrue(status.startswith("OK [APPENDUID"), status)

    def test_fetch_items_and_sections(self):
        address = self.new_user()
        m = self.client(address)
        date = '"05-Feb-2024 10:11:12 +0100"'
        ok(m.append("INBOX", None, date, MULTIPART))
        ok(m.select("INBOX"))
        items = fetch_parsed(ok(m.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE UID)")))[1]
        self.assertEqual(items["FLAGS"], ["\\RECENT"])
        # The same instant; the zone it is given in is the server's choice.
        self.assertEqual(time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "' + items["INTERNALDATE"] + b'"')),
                         time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "05-Feb-2024 10:11:12 +0100"')))
        self.assertEqual(int(items["RFC822.SIZE"]), len(MULTIPART))
        self.assertEqual(items["UID"], "1")
        env = items["ENVELOPE"]
        self.assertEqual(env[0], b"Mon, 05 Feb 2024 10:11:12 +0100")
        self.assertEqual(env[1], b"Quarterly report")
        self.assertEqual(env[2], [[b"Alice Example", None, b"alice", b"a.test"]])
        self.assertEqual(env[3], env[2])  # sender defaults to from
        self.assertEqual(env[4], env[2])  # reply-to defaults to from
        self.assertEqual(env[5], [[b"Bob", None, b"bob", b"b.test"], [None, None, b"carol", b"c.test"]])
        self.assertEqual(env[6], [[None, None, b"dave", b"d.test"]])
        self.assertEqual(env[9], b"<report-1@a.test>")
        bs = items["BODYSTRUCTURE"]
        text, attachment = bs[0], bs[1]
        self.assertEqual(bs[2], b"mixed")
        self.assertEqual(bs[3], [b"boundary", b"XYZ"])
        self.assertEqual([x.lower() if isinstance(x, bytes) else x for x in text[:6]],
                         [b"text", b"plain", [b"charset", b"utf-8"], None, None, b"quoted-printable"])
        self.assertEqual(attachment[0].lower(), b"application")
        self.assertEqual(attachment[1].lower(), b"octet-stream")
        self.assertEqual(attachment[5].lower(), b"base64")
        # The CRLF before the boundary belongs to the boundary (RFC 2046 5.1.1).
        self.assertEqual(int(attachment[6]), len(_b64_lines(BINARY_PAYLOAD)) - 2)
        self.assertIn([b"attachment", [b"filename", b"data.bin"]],
                      [x for x in attachment if isinstance(x, list)])

        # Sections; PEEK leaves \Seen alone.
        items = fetch_parsed(ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject From)] BODY.PEEK[]<0.10> "
                                             "BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[TEXT]<5.20>)")))[1]
        self.assertEqual(items["BODY[HEADER.FIELDS (SUBJECT FROM)]"],
                         b"From: Alice Example <alice@a.test>\r\nSubject: Quarterly report\r\n\r\n")
        self.assertEqual(items["BODY[]<0>"], MULTIPART[:10])
        self.assertEqual(items["BODY[1]"],
                         b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln, the figures are attach=\r\ned.")
        self.assertTrue(items["BODY[2.MIME]"].startswith(b"Content-Type: application/octet-stream"))
        self.assertTrue(items["BODY[2.MIME]"].endswith(b"\r\n\r\n"))
        body_start = MULTIPART.index(b"\r\n\r\n") + 4
        self.assertEqual(items["BODY[TEXT]<5>"], MULTIPART[body_start + 5:body_start + 25])
        self.assertNotIn(b"\\Seen", ok(m.fetch("1", "(FLAGS)"))[0])

        # BINARY (RFC 3516): the decoded content of each part, and its size.
        items = fetch_parsed(ok(m.fetch("1", "(BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])")))[1]
        self.assertEqual(items["BINARY[1]"], QP_TEXT.rstrip(b"\r\n"))
        self.assertEqual(items["BINARY[2]"], BINARY_PAYLOAD)
        self.assertEqual(items["BINARY.SIZE[2]"], str(len(BINARY_PAYLOAD)))

        # BODY[] without PEEK: the whole message, and \Seen set (with FLAGS in the answer).
        items = fetch_parsed(ok(m.fetch("1", "(BODY[])")))[1]
        self.assertEqual(items["BODY[]"], MULTIPART)
        self.assertIn("\\SEEN", items["FLAGS"])
        self.assertIn(b"\\Seen", ok(m.fetch("1", "(FLAGS)"))[0])

    def test_store_flags(self):
        address = self.new_user()
        m = self.client(address)
        self.append_all(m, [simple("one"), simple("two"), simple("three")])
        # Another session selects first and takes \Recent, so that this one
        # sees only the flags it stores.
        claimer = self.client(address)
        ok(claimer.select("INBOX"))
        claimer.close()
        ok(m.select("INBOX"))
        data = ok(m.store("1:2", "+FLAGS", "(\\Seen \\Flagged)"))
        got = fetch_parsed(data)
        self.assertEqual(set(got[1]["FLAGS"]), {"\\SEEN", "\\FLAGGED"})
        self.assertEqual(set(got[2]["FLAGS"]), {"\\SEEN", "\\FLAGGED"})
        got = fetch_parsed(ok(m.store("1", "-FLAGS", "(\\Flagged)")))
        self.assertEqual(got[1]["FLAGS"], ["\\SEEN"])
        # .SILENT: no FETCH in the answer for this session's own change.
        data = ok(m.store("3", "+FLAGS.SILENT", "(\\Answered custom-Keyword)"))
        self.assertEqual(data, [None])
        got = fetch_parsed(ok(m.fetch("1:3", "(FLAGS)")))
        self.assertEqual(set(got[3]["FLAGS"]), {"\\ANSWERED", "CUSTOM-KEYWORD"})
        # FLAGS replaces; UID STORE answers with the UID.
        got = fetch_parsed(ok(m.uid("STORE", "3", "FLAGS", "(\\Draft)")))
        self.assertEqual(got[3]["FLAGS"], ["\\DRAFT"])
        self.assertEqual(got[3]["UID"], "3")
        # \Recent cannot be set by a client: refused, or ignored.
        try:
            m.store("1", "+FLAGS", "(\\Recent)")
        except imaplib.IMAP4.error:
            pass
        self.assertNotIn(b"\\Recent", ok(m.fetch("1", "(FLAGS)"))[0])
        # The flags are durable: another session sees them.
        untagged, _ = self.raw(address, select="INBOX").command("FETCH 1:3 (FLAGS)")
        self.assertIn(b"* 1 FETCH (FLAGS (\\Seen))", untagged)
        self.assertIn(b"* 3 FETCH (FLAGS (\\Draft))", untagged)

    # ---- SEARCH ----

    def search_box(self):
        address = self.new_user()
        m = self.client(address)
        for i, message in enumerate(SEARCH_MESSAGES):
            date = imaplib.Time2Internaldate(time.mktime((2024, 3, 1 + i, 12, 0, 0, 0, 0, -1)))
            ok(m.append("INBOX", None, date, message))
        ok(m.select("INBOX"))
        ok(m.store("2", "+FLAGS", "(\\Flagged)"))
        ok(m.store("1,3", "+FLAGS", "(\\Seen)"))
        return address, m

    def test_search(self):
        address, m = self.search_box()

        def search(*criteria, charset=None):
            return ok(m.search(charset, *criteria))[0].decode().split()

        self.assertEqual(search("ALL"), ["1", "2", "3", "4"])
        self.assertEqual(search("FLAGGED"), ["2"])
        self.assertEqual(search("UNSEEN"), ["2", "4"])
        self.assertEqual(search("SEEN", "NOT", "FLAGGED"), ["1", "3"])
        self.assertEqual(search("SUBJECT", "alpha"), ["1"])
        self.assertEqual(search("SUBJECT", "ALPHA"), ["1"])
        self.assertEqual(search("FROM", "alice"), ["1", "4"])
        self.assertEqual(search("NOT", "FROM", "alice"), ["2", "3"])
        self.assertEqual(search("OR", "SUBJECT", "beta", "FROM", "carol"), ["2", "3"])
        self.assertEqual(search("OR", "(FLAGGED SUBJECT beta)", "NOT", "(OR SEEN FROM alice)"), ["2"])
        self.assertEqual(search("2:*", "UNSEEN"), ["2", "4"])
        # BODY matches the decoded text: base64 and quoted-printable (soft break joined).
        self.assertEqual(search("BODY", "thursday"), ["2"])
        self.assertEqual(search("BODY", "softbreak"), ["3"])
        self.assertEqual(search("TEXT", '"quick brown"'), ["1"])
        # Non-ASCII search strings: CHARSET UTF-8 and a literal; RFC 2047 subjects decoded.
        m.literal = "Zürich".encode()
        self.assertEqual(search("BODY", charset="UTF-8"), ["2"])
        m.literal = "köln".encode()
        self.assertEqual(search("BODY", charset="UTF-8"), ["3"])
        m.literal = "CAFÉ".encode()
        self.assertEqual(search("SUBJECT", charset="UTF-8"), ["3"])
        # Sizes, dates (of INTERNALDATE and of the Date header), header fields.
        self.assertEqual(search("LARGER", "600"), ["4"])
        self.assertEqual(search("SINCE", "3-Mar-2024"), ["3", "4"])
        self.assertEqual(search("BEFORE", "2-Mar-2024"), ["1"])
        self.assertEqual(search("ON", "2-Mar-2024"), ["2"])
        self.assertEqual(search("HEADER", "Content-Transfer-Encoding", "base64"), ["2"])
        self.assertEqual(search("UID", "2:3"), ["2", "3"])
        # UID SEARCH answers UIDs; after an expunge they differ from numbers.
        ok(m.store("1", "+FLAGS", "(\\Deleted)"))
        ok(m.expunge())
        self.assertEqual(ok(m.uid("SEARCH", "FROM", "alice"))[0].split(), [b"4"])
        self.assertEqual(search("FROM", "alice"), ["3"])
        # An unknown charset: [BADCHARSET].
        typ, data = m._simple_command("SEARCH", "CHARSET", "X-UNKNOWN", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[BADCHARSET", data[0])

    def test_esearch_and_searchres(self):
        address, m = self.search_box()
        r = self.raw(address, select="INBOX")
        untagged, status = r.command("SEARCH RETURN (MIN MAX COUNT ALL) FROM alice", tag="e1")
        self.assertTrue(status.startswith("OK"), status)
        p = parse(untagged)
        self.assertEqual(p[:3], ["*", "ESEARCH", ["TAG", b"e1"]])
        # The order of the return data is the server's choice (RFC 4731 3.1).
        self.assertEqual(dict(zip(p[3::2], p[4::2])), {"MIN": "1", "MAX": "4", "COUNT": "2", "ALL": "1,4"})
        untagged, status = r.command("UID SEARCH RETURN (COUNT) UNSEEN", tag="e2")
        self.assertEqual(parse(untagged), ["*", "ESEARCH", ["TAG", b"e2"], "UID", "COUNT", "2"])
        untagged, status = r.command("SEARCH RETURN () 2:3", tag="e3")
        self.assertEqual(parse(untagged), ["*", "ESEARCH", ["TAG", b"e3"], "ALL", "2:3"])
        # No match: only the tag (and UID).
        untagged, status = r.command("SEARCH RETURN (MIN MAX) SUBJECT nothing-like-this", tag="e4")
        self.assertEqual(parse(untagged), ["*", "ESEARCH", ["TAG", b"e4"]])
        # SAVE (RFC 5182): the result kept as "$" for later commands.
        untagged, status = r.command("SEARCH RETURN (SAVE) OR FLAGGED SUBJECT delta")
        self.assertTrue(status.startswith("OK"), status)
        self.assertEqual(untagged, b"")
        untagged, status = r.command("FETCH $ (UID)")
        self.assertEqual(re.findall(rb"\* (\d+) FETCH", untagged), [b"2", b"4"])
        untagged, status = r.command("SEARCH $ UNSEEN SUBJECT beta")
        self.assertEqual(untagged, b"* SEARCH 2\r\n")
        untagged, status = r.command("UID STORE $ +FLAGS (\\Answered)")
        self.assertTrue(status.startswith("OK"), status)
        untagged, status = r.command("SEARCH ANSWERED")
        self.assertEqual(untagged, b"* SEARCH 2 4\r\n")

    # ---- COPY, MOVE, EXPUNGE ----

    def test_copy_move_expunge(self):
        address = self.new_user()
        m = self.client(address)
        self.append_all(m, [simple(f"message {i}") for i in range(1, 6)])
        ok(m.select("INBOX"))
        data = ok(m.copy("1:2", "Archive"))
        code = re.search(rb"\[COPYUID (\d+) (\S+) (\S+)\]", data[0])
        self.assertIsNotNone(code, data)
        self.assertEqual((uid_set(code.group(2)), uid_set(code.group(3))), ([1, 2], [1, 2]))
        typ, data = m.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])

        # UID MOVE: COPYUID untagged, then EXPUNGE of the moved message.
        typ, data = m.uid("MOVE", "3", "Archive")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.pop("EXPUNGE", None), [b"3"])
        copyuid = m.untagged_responses.pop("COPYUID", None) or m.untagged_responses.pop("OK", None)
        self.assertTrue(copyuid and b"3 3" in b" ".join(x for x in copyuid if x), copyuid)
        self.assertEqual(mailbox_count(self.tern, address), 4)
        self.assertEqual(mailbox_count(self.tern, address, "Archive"), 3)

        # UID EXPUNGE removes only the given UIDs among the \Deleted ones.
        ok(m.store("1:2", "+FLAGS.SILENT", "(\\Deleted)"))  # UIDs 1, 2
        ok(m.uid("EXPUNGE", "2"))
        self.assertEqual(m.untagged_responses.pop("EXPUNGE", None), [b"2"])
        uids = ok(m.uid("SEARCH", "ALL"))[0].split()
        self.assertEqual(uids, [b"1", b"4", b"5"])
        # EXPUNGE removes the rest.
        data = ok(m.expunge())
        self.assertEqual(data, [b"1"])
        self.assertEqual(ok(m.uid("SEARCH", "ALL"))[0].split(), [b"4", b"5"])

        # CLOSE expunges silently; UNSELECT does not.
        ok(m.select("Archive"))
        ok(m.store("1", "+FLAGS", "(\\Deleted)"))
        ok(m.unselect())
        self.assertEqual(ok(m.status("Archive", "(MESSAGES DELETED)"))[0], b"Archive (MESSAGES 3 DELETED 1)")
        ok(m.select("Archive"))
        ok(m.close())
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), None)
        self.assertEqual(ok(m.status("Archive", "(MESSAGES DELETED)"))[0], b"Archive (MESSAGES 2 DELETED 0)")
        # MOVE of several messages between two other mailboxes, by sequence numbers.
        ok(m.select("Archive"))
        ok(m._simple_command("MOVE", "1:*", "Trash"))
        self.assertEqual(ok(m.status("Trash", "(MESSAGES)"))[0], b"Trash (MESSAGES 2)")
        ok(m.noop())
        self.assertEqual(ok(m.select("Archive"))[0], b"0")

    # ---- ENABLE ----

    def test_condstore(self):
        address = self.new_user()
        m = self.client(address)
        self.append_all(m, [simple("one"), simple("two")])
        ok(m.enable("CONDSTORE"))
        self.assertEqual(m.untagged_responses.pop("ENABLED", None), [b"CONDSTORE"])
        ok(m.select("INBOX"))
        highest = int(m.response("HIGHESTMODSEQ")[1][0])
        got = fetch_parsed(ok(m.fetch("1:2", "(MODSEQ)")))
        mod1 = int(got[1]["MODSEQ"][0])
        self.assertLessEqual(mod1, highest)
        # A flag change raises the message's MODSEQ and the mailbox's HIGHESTMODSEQ.
        got = fetch_parsed(ok(m.store("1", "+FLAGS", "(\\Seen)")))
        mod1_new = int(got[1]["MODSEQ"][0])
        self.assertGreater(mod1_new, highest)
        p = parse(ok(m.status("INBOX", "(HIGHESTMODSEQ)"))[0])
        self.assertEqual(int(p[1][1]), mod1_new)
        # UNCHANGEDSINCE: a stale MODSEQ gets [MODIFIED] and changes nothing.
        typ, data = m.store("1", "(UNCHANGEDSINCE %d) +FLAGS" % mod1, "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.pop("MODIFIED", None), [b"1"])
        self.assertNotIn(b"\\Flagged", ok(m.fetch("1", "(FLAGS)"))[0])
        got = fetch_parsed(ok(m.store("1", "(UNCHANGEDSINCE %d) +FLAGS" % mod1_new, "(\\Flagged)")))
        self.assertIn("\\FLAGGED", got[1]["FLAGS"])
        # FETCH CHANGEDSINCE: only what changed after the given MODSEQ.
        got = fetch_parsed(ok(m.fetch("1:*", "(FLAGS) (CHANGEDSINCE %d)" % highest)))
        self.assertEqual(set(got), {1})
        # SEARCH MODSEQ.
        typ, data = m.search(None, "MODSEQ", str(highest + 1))
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0].startswith(b"1 (MODSEQ "), data)

    UTF8_MESSAGE = "From: jörg@exämple.test\r\nSubject: Grüße\r\n\r\nHallo.\r\n".encode()

    def utf8_session(self):
        address = self.new_user()
        r = self.raw(address)
        untagged, status = r.command("ENABLE UTF8=ACCEPT")
        self.assertIn(b"* ENABLED UTF8=ACCEPT", untagged)
        return r

    def check_utf8_message(self, r):
        r.command("SELECT INBOX")
        untagged, status = r.command("FETCH 1 (ENVELOPE BODY.PEEK[])")
        items = fetch_items(untagged)
        self.assertEqual(items["ENVELOPE"][1], "Grüße".encode())
        self.assertEqual(items["ENVELOPE"][2], [[None, None, "jörg".encode(), "exämple.test".encode()]])
        self.assertEqual(items["BODY[]"], self.UTF8_MESSAGE)

    def test_enable_utf8_accept_append_literal(self):
        r = self.utf8_session()
        message = self.UTF8_MESSAGE
        untagged, status = r.command(b"APPEND INBOX {%d+}\r\n" % len(message) + message)
        self.assertTrue(status.startswith("OK"), status)
        self.check_utf8_message(r)

    def test_enable_utf8_accept_append_utf8_data_item(self):
        r = self.utf8_session()
        message = self.UTF8_MESSAGE
        # RFC 6855 4: APPEND mailbox UTF8 (literal8).
        untagged, status = r.command(b"APPEND INBOX UTF8 (~{%d+}\r\n" % len(message) + message + b")")
        self.assertTrue(status.startswith("OK"), status)
        self.check_utf8_message(r)

    # ---- several sessions ----

    def test_changes_seen_by_another_session_on_noop(self):
        address = self.new_user()
        a = self.client(address)
        self.append_all(a, [simple(f"m{i}") for i in range(1, 5)])
        ok(a.select("INBOX"))
        b = self.raw(address, select="INBOX")
        ok(a.store("2", "+FLAGS", "(\\Seen)"))
        untagged, _ = b.command("NOOP")
        self.assertRegex(untagged, rb"\* 2 FETCH \((UID 2 )?FLAGS \(\\Seen\)( UID 2)?\)")
        ok(a.store("3", "+FLAGS", "(\\Deleted)"))
        ok(a.expunge())
        # No EXPUNGE during FETCH (RFC 9051 7.4.1): numbers stay put until NOOP.
        untagged, _ = b.command("FETCH 1:4 (UID)")
        self.assertNotIn(b"EXPUNGE", untagged)
        self.assertIn(b"* 4 FETCH (UID 4)", untagged)
        untagged, _ = b.command("NOOP")
        self.assertIn(b"* 3 EXPUNGE", untagged)
        ok(a.append("INBOX", None, None, simple("m5")))
        untagged, _ = b.command("NOOP")
        self.assertIn(b"* 4 EXISTS", untagged)
        untagged, _ = b.command("FETCH 4 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"UID 5", untagged)
        self.assertIn(b"Subject: m5", untagged)

    def test_search_and_fetch_see_other_sessions_flag_changes(self):
        address = self.new_user()
        a = self.raw(address, select="INBOX")
        self.append_all(self.client(address), [simple("one"), simple("two")])
        b = self.raw(address, select="INBOX")
        _, status = a.command("STORE 2 +FLAGS (\\Answered)")
        self.assertTrue(status.startswith("OK"), status)
        # The change is durable before B's SEARCH starts: B's answer must count it.
        untagged, _ = b.command("SEARCH ANSWERED")
        self.assertIn(b"* SEARCH 2\r\n", untagged)
        _, status = a.command("STORE 1 +FLAGS (\\Seen)")
        untagged, _ = b.command("FETCH 1 (FLAGS)")
        # No FLAGS older than the store's in a FETCH answer.
        self.assertNotIn(b"* 1 FETCH (FLAGS ())", untagged)
        self.assertIn(b"\\Seen", untagged)

    def idle_until(self, r, pattern, timeout=2.0):
        """Reads untagged lines of an idling session until one matches; the time it took."""
        started = time.monotonic()
        r.sock.settimeout(timeout)
        seen = b""
        try:
            while True:
                line = r.line()
                seen += line
                if re.search(pattern, line):
                    return time.monotonic() - started
        except socket.timeout:
            raise AssertionError(f"no {pattern!r} within {timeout}s; got {seen!r}")

    def test_idle_sees_other_sessions_and_smtp(self):
        address = self.new_user()
        a = self.client(address)
        self.append_all(a, [simple("first"), simple("second")])
        ok(a.select("INBOX"))
        idler = self.raw(address, select="INBOX")
        idler.send(b"i1 IDLE\r\n")
        self.assertTrue(idler.line().startswith(b"+"))

        ok(a.append("INBOX", None, None, simple("third")))
        self.idle_until(idler, rb"^\* 3 EXISTS")
        ok(a.store("1", "+FLAGS", "(\\Flagged)"))
        self.idle_until(idler, rb"^\* 1 FETCH \(.*FLAGS \(\\Flagged\)")
        ok(a.store("2", "+FLAGS", "(\\Deleted)"))
        ok(a.expunge())
        self.idle_until(idler, rb"^\* 2 EXPUNGE")
        # Issue bar: a delivery reaches an idling client within one second of its 250.
        deliver_local(self.tern, address, ["over smtp"])
        self.idle_until(idler, rb"^\* 3 EXISTS", timeout=1.0)
        idler.sock.settimeout(10)
        idler.send(b"DONE\r\n")
        line = idler.line()
        while line.startswith(b"*"):
            line = idler.line()
        self.assertTrue(line.startswith(b"i1 OK"), line)
        untagged, _ = idler.command("FETCH 3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"Subject: over smtp", untagged)

    # ---- real mail through SMTP ----

    def test_smtp_delivery_read_over_imap(self):
        address = self.new_user()
        message = (f"From: Sender Name <sender@origin.test>\r\nTo: <{address}>\r\n"
                   "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= via SMTP\r\n"
                   "Date: Tue, 06 Feb 2024 09:00:00 +0000\r\nMessage-ID: <via-smtp@origin.test>\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\nLine one.\r\n.dot line\r\nÄnd a last one.\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], timeout=15) as s:
            s.sendmail("sender@origin.test", [address], message)
        m = self.client(address)
        self.assertEqual(ok(m.select("INBOX")), [b"1"])
        items = fetch_parsed(ok(m.fetch("1", "(FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODY[])")))[1]
        self.assertEqual(items["ENVELOPE"][1], b"=?utf-8?q?Gr=C3=BC=C3=9Fe?= via SMTP")
        self.assertEqual(items["ENVELOPE"][2], [[b"Sender Name", None, b"sender", b"origin.test"]])
        body = items["BODY[]"]
        # tern adds its trace fields above the message as sent, which follows unchanged.
        self.assertTrue(body.startswith(b"Return-Path: <sender@origin.test>\r\n"), body[:200])
        self.assertIn(b"Received: from ", body)
        self.assertTrue(body.endswith(message), body[-300:])
        self.assertEqual(int(items["RFC822.SIZE"]), len(body))
        internal = imaplib.Internaldate2tuple(b'INTERNALDATE "' + items["INTERNALDATE"] + b'"')
        self.assertLess(abs(time.mktime(internal) - time.time()), 120)
        self.assertIn("\\SEEN", items["FLAGS"])
        m.literal = "änd".encode()
        self.assertEqual(ok(m.search("UTF-8", "BODY"))[0], b"1")
        self.assertEqual(ok(m.search(None, "SUBJECT", "SMTP"))[0], b"1")


if __name__ == "__main__":
    unittest.main()
