"""The login throttle's rules against a running tern, over IMAP, with low
limits from the config ([auth] max_failures_per_address = 5,
max_failures_per_user = 8, failure_window = "1m", trusted_networks =
["127.0.0.9"]) to keep it quick:

- 50 clients (Python's imaplib) logging in at once from one address with the
  right passwords all get in, even after some failures from that address:
  attempts in progress never block, they only take turns.
- A burst of wrong passwords from one address gets no more checks than the
  limit, then the address is blocked, the right password included; the
  owner still logs in from elsewhere.
- Names that are no account count against the address, but create no
  per-user block: an account made under such a name afterwards logs in.
- A trusted address is not blocked per address, however many of its users
  fail; the per-user limit still holds for it.

Every 127/8 address is loopback on Linux, so each test guesses from its own."""
import imaplib
import re
import socket
import threading
import time
import unittest

from harness import Tern

DOMAIN = "example.test"
USERS = {f"user{i}@{DOMAIN}": f"password-{i}" for i in range(5)}
ALICE, ALICE_PW = f"alice@{DOMAIN}", "alice-password"
BOB, BOB_PW = f"bob@{DOMAIN}", "bob-password"
CONFIG = """[auth]
allow_plaintext_loopback = true
max_failures_per_address = 5
max_failures_per_user = 8
failure_window = "1m"
trusted_networks = ["127.0.0.9"]
[limits]
max_connections_per_ip = 200
"""


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Imap:
    """A bare IMAP connection from a chosen source address: LOGIN and its tagged answer."""

    def __init__(self, port, source):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
        self.file = self.sock.makefile("rb")
        greeting = self.file.readline()
        if not greeting.startswith(b"* OK"):
            raise AssertionError(f"greeting {greeting!r}")

    def login(self, user, password):
        self.sock.sendall(f"a LOGIN {quote(user)} {quote(password)}\r\n".encode())
        while True:
            line = self.file.readline().decode(errors="replace").rstrip("\r\n")
            if not line:
                raise EOFError("connection closed")
            if line.startswith("a "):
                return line

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login_once(port, source, user, password):
    """One LOGIN in a fresh connection: its tagged answer."""
    connection = Imap(port, source)
    try:
        return connection.login(user, password)
    finally:
        connection.close()


def in_parallel(count, job):
    """Runs job(i) in `count` threads started together; their results in order (exceptions as results)."""
    results = [None] * count
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(30)
            results[i] = job(i)
        except Exception as e:  # reported by the caller's assertions
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


class LoginThrottle(unittest.TestCase):
    def setUp(self):
        self.tern = Tern(protocols=("imap",), extra=CONFIG)
        for user, password in USERS.items():
            self.tern.add_user(user, password)
        self.tern.add_user(ALICE, ALICE_PW)
        self.tern.add_user(BOB, BOB_PW)
        self.tern.start()
        self.port = self.tern.ports["imap"]

    def tearDown(self):
        try:
            self.assertEqual(self.tern.stop(timeout=30), 0, self.tern.read_log()[-3000:])
        finally:
            self.tern.close()

    def events(self, event, peer):
        return re.findall(rf"event={event} .*peer={re.escape(peer)}\b", self.tern.read_log())

    def test_fifty_concurrent_logins_from_one_address_all_succeed(self):
        # Two wrong passwords first: the address has failures, under the limit of five.
        for i in range(2):
            self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.1", ALICE, f"typo-{i}"))
        accounts = list(USERS.items())

        def client(i):
            user, password = accounts[i % len(accounts)]
            connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=120)
            try:
                started = time.monotonic()
                typ, _ = connection.login(user, password)
                took = time.monotonic() - started
                connection.select("INBOX")
                connection.logout()
                return typ, took
            except imaplib.IMAP4.error as e:
                return f"refused: {e}", 0

        started = time.monotonic()
        results = in_parallel(50, client)
        elapsed = time.monotonic() - started
        self.assertEqual([r for r in results if not (isinstance(r, tuple) and r[0] == "OK")], [])
        slowest = max(r[1] for r in results)
        print(f"\n  50 concurrent logins from one address: all OK in {elapsed:.1f}s "
              f"(slowest {slowest:.1f}s)", end=" ")
        self.assertEqual(len(self.events("auth_ok", "127.0.0.1")), 50)
        self.assertEqual(self.events("auth_throttled", "127.0.0.1"), [])
        self.assertEqual(self.events("auth_busy", "127.0.0.1"), [])
        # The two typos are still counted: three more failures block the address.
        for i in range(3):
            self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.1", ALICE, f"guess-{i}"))
        self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.1", ALICE, ALICE_PW))
        self.assertEqual(len(self.events("auth_throttled", "127.0.0.1")), 1)

    def test_burst_of_wrong_passwords_is_throttled(self):
        answers = in_parallel(30, lambda i: login_once(self.port, "127.0.0.1", ALICE, f"guess-{i}"))
        for answer in answers:
            self.assertIsInstance(answer, str, answer)
            self.assertTrue(answer.startswith("a NO [AUTHENTICATIONFAILED]"), answer)
        checked = len(self.events("auth_failed", "127.0.0.1"))
        refused = len(self.events("auth_throttled", "127.0.0.1"))
        print(f"\n  30 parallel guesses: {checked} checked, {refused} refused unchecked", end=" ")
        self.assertEqual(checked, 5)  # the per-address limit
        self.assertEqual(refused, 25)
        # Blocked: the right password from that address is refused unchecked too ...
        self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.1", ALICE, ALICE_PW))
        self.assertEqual(len(self.events("auth_throttled", "127.0.0.1")), 26)
        # ... other accounts from that address likewise ...
        self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.1", BOB, BOB_PW))
        # ... while the owner, elsewhere, logs in (five failures are under the user limit of eight).
        self.assertIn("a OK", login_once(self.port, "127.0.0.2", ALICE, ALICE_PW))

    def test_unknown_names_count_against_the_address_only(self):
        carol, carol_pw = f"carol@{DOMAIN}", "carol-password"
        # Ten failures for a name that is no account, from two addresses: more than
        # the per-user limit of eight. Each address is blocked after its fifth.
        for source in ("127.0.0.5", "127.0.0.6"):
            answers = in_parallel(5, lambda i: login_once(self.port, source, carol, f"guess-{i}"))
            self.assertTrue(all(isinstance(a, str) and a.startswith("a NO [AUTHENTICATIONFAILED]")
                                for a in answers), answers)
            self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, source, BOB, BOB_PW))
            self.assertEqual(len(self.events("auth_throttled", source)), 1)
        self.assertEqual(len(re.findall(r"event=auth_failed .*user=carol@example\.test .*account=unknown",
                                        self.tern.read_log())), 10)
        # The name never got a block of its own: once the account exists, it logs in.
        self.tern.add_user(carol, carol_pw)
        self.assertIn("a OK", login_once(self.port, "127.0.0.7", carol, carol_pw))

    def test_trusted_network_is_not_blocked_per_address(self):
        # A webmail host: its users fail a dozen times, wrong passwords and unknown names.
        users = list(USERS)
        answers = in_parallel(12, lambda i: login_once(
            self.port, "127.0.0.9", users[i % len(users)] if i % 2 else f"nobody{i}@{DOMAIN}", "wrong"))
        self.assertTrue(all(isinstance(a, str) and a.startswith("a NO [AUTHENTICATIONFAILED]") for a in answers),
                        answers)
        self.assertEqual(len(self.events("auth_failed", "127.0.0.9")), 12)
        # Far over the per-address limit of five, and its users still log in.
        self.assertIn("a OK", login_once(self.port, "127.0.0.9", ALICE, ALICE_PW))
        # The per-user limit still holds through it: eight wrong passwords for bob block bob.
        answers = in_parallel(8, lambda i: login_once(self.port, "127.0.0.9", BOB, f"guess-{i}"))
        self.assertTrue(all(isinstance(a, str) and a.startswith("a NO [AUTHENTICATIONFAILED]") for a in answers),
                        answers)
        self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.9", BOB, BOB_PW))
        self.assertIn("NO [AUTHENTICATIONFAILED]", login_once(self.port, "127.0.0.3", BOB, BOB_PW))
        self.assertRegex(self.tern.read_log(), r"event=auth_throttled .*user=bob@example\.test peer=127\.0\.0\.3\b")
        self.assertIn("a OK", login_once(self.port, "127.0.0.9", ALICE, ALICE_PW))


if __name__ == "__main__":
    unittest.main()
