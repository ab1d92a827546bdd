"""The MIME corpus (tests/data/mime-corpus) through tern's IMAP server: the
68 messages are APPENDed in order to an empty INBOX, then every recorded
FETCH and SEARCH of the reference server (Dovecot 2.3.19) is sent and the
answers compared item by item, whatever string form was chosen. The
deliberate differences are those docs/mime.md lists."""
import base64
import glob
import json
import os
import unittest

import harness
from imap_raw import RawImap, fetch_items, parse

CORPUS = os.path.join(os.path.dirname(__file__), "../data/mime-corpus")

# (message number, item): why tern answers differently (docs/mime.md).
ALLOWED = {
    ("063", "BINARY.SIZE[2]"), ("065", "BINARY.SIZE[1]"),
    ("017", "BINARY.SIZE[1]"), ("017", "BINARY.SIZE[1.2]"), ("025", "BINARY.SIZE[1]"),
}

# SEARCH commands where tern answers differently on purpose (docs/imap.md):
# command -> (tern's answer, why).
SEARCH_DIFFERENCES = {
    "UID SEARCH SENTBEFORE 1-Jan-2000": (
        "* SEARCH 45 47 51\r\n",
        "045/047 are dated 13-Feb-1969 (Dovecot's pre-1970 date wraps into the future); 053-055 have no "
        "usable Date: and are compared by INTERNALDATE (Dovecot: 1-Jan-1970)"),
    "UID SEARCH SENTSINCE 22-Jun-2024": (
        "* SEARCH 53 54 55 57 58 59 60 61 62 63 64 65 66 67 68\r\n", "the same two choices"),
    "UID SEARCH SENTON 1-Jul-2024": ("* SEARCH 53 54 55\r\n", "no Date: -> INTERNALDATE, 1-Jul-2024"),
    "UID SEARCH SENTON 13-Feb-1969": ("* SEARCH 45 47\r\n", "the date as written, before 1970"),
    "UID SEARCH NOT OR FROM alice SENTSINCE 1-Jun-2024": ("* SEARCH 45 47 51\r\n", "045/047 sent in 1969"),
}


def response_bytes(record):
    if "response" in record:
        return record["response"].encode()
    if "response_base64" in record:
        return base64.b64decode(record["response_base64"])
    return None


def status_key(status):
    """"OK", or "NO [CODE]" — the free text does not count."""
    if status.startswith("OK"):
        return "OK"
    end = status.find("]")
    return status[:end + 1] if end > 0 else status.split(" ")[0]


class ImapCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = harness.Tern(protocols=("imap",), extra="[auth]\nallow_plaintext_loopback = true\n")
        cls.tern.cli("domain", "add", "example.test")
        cls.tern.add_user("corpus@example.test", "corpus-password-1")
        cls.tern.start()
        cls.client = RawImap(cls.tern.ports["imap"])
        _, status = cls.client.command('LOGIN corpus@example.test "corpus-password-1"')
        assert status.startswith("OK"), status
        cls.expected = {}
        for path in sorted(glob.glob(os.path.join(CORPUS, "expected/[0-9]*.json"))):
            with open(path) as f:
                record = json.load(f)
            number = os.path.basename(path)[:3]
            cls.expected[number] = record
            with open(os.path.join(CORPUS, "messages", record["message"]), "rb") as f:
                data = f.read()
            # NUL octets need a literal8 (RFC 3516 4.4, RFC 9051 4.3).
            prefix = b"~" if b"\0" in data else b""
            _, status = cls.client.command(
                b'APPEND INBOX "01-Jul-2024 12:00:00 +0000" %s{%d+}\r\n' % (prefix, len(data)) + data)
            assert status.startswith("OK [APPENDUID "), status
            assert status.split()[3].rstrip("]") == str(int(number)), status
        _, status = cls.client.command("SELECT INBOX")
        assert status.startswith("OK"), status

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        assert cls.tern.stop() == 0

    def compare(self, number, record, label):
        untagged, status = self.client.command(record["command"])
        if not any(item in record["command"] for (n, item) in ALLOWED if n == number):
            self.assertEqual(status_key(status), status_key(record["status"]),
                             f"{number} {label}: {record['command']}")
        want = response_bytes(record)
        if want is None:
            if "response_sha256" in record:
                self.assertEqual(len(untagged), record["response_length"], f"{number} {label}")
            return
        if not want:
            self.assertEqual(untagged, b"", f"{number} {label}")
            return
        ours, theirs = fetch_items(untagged), fetch_items(want)
        for item, value in theirs.items():
            if (number, item) in ALLOWED:
                continue
            # BODY[n] of a missing part: Dovecot sends {0}, tern "" (the same string).
            self.assertIn(item, ours, f"{number} {label}: {item} missing from {untagged[:300]!r}")
            self.assertEqual(ours[item], value, f"{number} {label}: {item}")

    def test_fetch_records(self):
        checked = 0
        for number, record in self.expected.items():
            with self.subTest(message=number):
                self.compare(number, record["fetch"], "fetch")
                for r in record.get("items", []):
                    self.compare(number, r, "item")
                for r in record.get("sections", []):
                    self.compare(number, r, "section")
                checked += 1
        self.assertEqual(checked, 68)

    def test_search_records(self):
        with open(os.path.join(CORPUS, "expected/search.json")) as f:
            searches = json.load(f)["searches"]
        self.assertGreater(len(searches), 10)
        for s in searches:
            with self.subTest(search=s["purpose"]):
                untagged, status = self.client.command(s["command"])
                self.assertEqual(status_key(status), status_key(s["status"]), s["command"])
                expected = SEARCH_DIFFERENCES.get(s["command"], (s["response"], ""))[0]
                self.assertEqual(parse(untagged), parse(expected.encode()), s["command"])


if __name__ == "__main__":
    unittest.main()
