"""The queue's policies against real peers: AUTH PLAIN to a smarthost over
STARTTLS, one delay warning after `warn_after`, SMTPUTF8 only to servers that
offer it, the peer's SIZE limit, no bounce of a bounce, and one connection
reused for consecutive messages to the same server.

As in test_queue.py, a private dnsmasq serves the MX records and peers listen
on port 25 of loopback addresses (127.0.0.30 and up, apart from the other
files'); the smarthost is a second tern, authenticating against its own user.

Needs root (port 25) and dnsmasq. Without them the tests skip, except under
CI, where they fail.
"""
import asyncio
import os
import re
import smtplib
import threading
import time
import unittest

from harness import Tern, messages, queue_ids
from test_queue_postfix import DNSMASQ, Dnsmasq, wait_until

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ZONES = {
    "slow.example": ("mx.slow.example", "127.0.0.30"),    # nothing listens
    "ascii.example": ("mx.ascii.example", "127.0.0.31"),  # no SMTPUTF8
    "utf8.example": ("mx.utf8.example", "127.0.0.32"),    # SMTPUTF8
    "small.example": ("mx.small.example", "127.0.0.33"),  # SIZE 2000
    "hard.example": ("mx.hard.example", "127.0.0.34"),    # 550 to every RCPT
    "again.example": ("mx.again.example", "127.0.0.35"),  # counts its connections
}

dns = None


def prerequisites_missing():
    if not DNSMASQ:
        return "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)"
    if os.geteuid() != 0:
        return "binding port 25 of 127.0.0.x needs root"
    return None


def setUpModule():
    global dns
    if prerequisites_missing() is None:
        dns = Dnsmasq(ZONES)


def tearDownModule():
    if dns is not None:
        dns.stop()


class Peer:
    """An SMTP server on ADDRESS:25 (asyncio, in a thread) with the EHLO keywords given, answering
    `rcpt_reply` to every RCPT. Keeps every command line in `commands`, accepted messages in
    `received` as (mail_from, rcpts, data), and counts connections (`connections`, `open`)."""

    def __init__(self, address, keywords=("8BITMIME", "SIZE 10000000"), rcpt_reply="250 2.1.5 ok"):
        self.address = address
        self.keywords = list(keywords)
        self.rcpt_reply = rcpt_reply
        self.commands = []
        self.received = []
        self.connections = 0
        self.open = 0
        self.writers = set()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise AssertionError("peer did not start")

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._session, self.address, 25,
                                                                        reuse_address=True))
        self.ready.set()
        self.loop.run_forever()

    async def _session(self, reader, writer):
        async def reply(text):
            writer.write(text.encode() + b"\r\n")
            await writer.drain()
        self.connections += 1
        self.open += 1
        self.writers.add(writer)
        try:
            await reply("220 peer.example ESMTP")
            mail_from, rcpts = None, []
            while True:
                line = (await reader.readline()).decode("utf-8", errors="replace").rstrip("\r\n")
                if not line:
                    break
                self.commands.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    await reply("\r\n".join(f"250-{k}" for k in ["peer.example"] + self.keywords[:-1]) +
                                f"\r\n250 {self.keywords[-1]}" if self.keywords else "250 peer.example")
                elif verb == "MAIL":
                    mail_from, rcpts = line[10:].split(">")[0].lstrip("<"), []
                    await reply("250 2.1.0 ok")
                elif verb == "RCPT":
                    if self.rcpt_reply.startswith("2"):
                        rcpts.append(line[8:].split(">")[0].lstrip("<"))
                    await reply(self.rcpt_reply)
                elif verb == "DATA":
                    if not rcpts:
                        await reply("554 5.5.1 no valid recipients")
                        continue
                    await reply("354 go ahead")
                    data = b""
                    while True:
                        chunk = await reader.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk[1:] if chunk.startswith(b".") else chunk
                    self.received.append((mail_from, rcpts, data))
                    await reply("250 2.0.0 queued")
                elif verb == "QUIT":
                    await reply("221 2.0.0 bye")
                    break
                else:
                    await reply("250 2.0.0 ok")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            self.writers.discard(writer)
            writer.close()

    def drop_connections(self):
        """Closes every open connection (a server's idle timeout)."""
        def close():
            for writer in list(self.writers):
                writer.close()
        self.loop.call_soon_threadsafe(close)
        if not wait_until(lambda: self.open == 0, 10):
            raise AssertionError("connections still open")

    def mail_commands(self):
        return [c for c in self.commands if c.upper().startswith("MAIL")]

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class QueuePolicyTest(unittest.TestCase):
    QUEUE = 'retry = ["1s"]\nmax_age = "1h"\n'

    def setUp(self):
        missing = prerequisites_missing()
        if missing:
            if IN_CI:
                self.fail(missing)
            self.skipTest(missing)
        self.terns = []

    def tearDown(self):
        failures = []
        for tern in self.terns:
            try:
                if tern.process is not None:
                    code = tern.stop()
                    if code != 0:
                        failures.append(f"tern exited {code} on SIGTERM:\n" + tern.read_log()[-4000:])
            finally:
                tern.close()
        self.assertEqual(failures, [])

    def make_tern(self, domain, queue=None, relay="", users=("alice",), plaintext_auth=True, start=True):
        extra = (f'[auth]\nallow_plaintext_loopback = {"true" if plaintext_auth else "false"}\n'
                 f'[dns]\nservers = ["127.0.0.1:{dns.port}"]\n[queue]\n{queue or self.QUEUE}{relay}')
        tern = Tern(protocols=("submission",), extra=extra, hostname=f"mx.{domain}")
        self.terns.append(tern)
        for user in users:
            tern.add_user(f"{user}@{domain}", "pw-" + user)
        return tern.start() if start else tern

    def submit(self, tern, sender, recipients, subject, body="Hello over there.\r\n", mail_options=()):
        message = (f"From: <{sender or 'alice@a.example'}>\r\nTo: {', '.join('<%s>' % r for r in recipients)}\r\n"
                   f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '-')}@a.example>\r\n\r\n{body}")
        with smtplib.SMTP("127.0.0.1", tern.ports["submission"], timeout=30) as client:
            client.ehlo("client.example")
            client.login("alice@a.example", "pw-alice")
            refused = client.sendmail(sender, recipients, message.encode(), list(mail_options))
            self.assertEqual(refused, {})

    def diagnostics(self):
        return "".join(f"\n--- {t.config} ---\n{t.read_log()[-5000:]}" for t in self.terns)

    def wait_for_queue_empty(self, tern, timeout=30):
        self.assertTrue(wait_until(lambda: not queue_ids(tern), timeout), "queue not empty: " +
                        tern.cli("queue", "list").stdout + self.diagnostics())

    def peer(self, domain, **kwargs):
        peer = Peer(ZONES[domain][1], **kwargs)
        self.addCleanup(peer.stop)
        return peer

    def smarthost_pair(self, password):
        """B, a tern that relays for its user relay@b.example (who may send as anyone @a.example), and A,
        whose [relay] smarthost is B's submission port with that user's credentials."""
        b = self.make_tern("b.example", users=("bob", "relay"), plaintext_auth=False, start=False)
        b.cli("domain", "add", "a.example")
        b.cli("alias", "add", "@a.example", "relay@b.example")
        b.start()
        relay = (f'[relay]\nsmarthost = "127.0.0.1:{b.ports["submission"]}"\nsmarthost_user = "relay@b.example"\n'
                 f'smarthost_password_file = "relay.pw"\n')
        a = self.make_tern("a.example", relay=relay, start=False)
        with open(os.path.join(a.root, "relay.pw"), "w") as f:
            f.write(password + "\n")
        return a.start(), b

    def test_smarthost_with_auth_plain_over_starttls(self):
        a, b = self.smarthost_pair("pw-relay")
        self.submit(a, "alice@a.example", ["bob@b.example"], "via the smarthost")
        self.assertEqual(b.wait_for_messages("bob@b.example", 1), 1, self.diagnostics())
        self.wait_for_queue_empty(a)
        head = messages(b, "bob@b.example")[0].split(b"\r\n\r\n", 1)[0]
        # Both hold keys of a.example (B for its catch-all), so both sign (tests/interop/test_dkim.py).
        self.assertEqual(len(re.findall(rb"(?m)^DKIM-Signature: .*d=a\.example;", head)), 4, head)
        head = re.sub(rb"(?s)DKIM-Signature:.*?\r\n(?![ \t])", b"", head)
        self.assertTrue(head.startswith(b"Return-Path: <alice@a.example>\r\nReceived: from mx.a.example"), head)
        # B requires STARTTLS before AUTH (no plaintext login here): ESMTPSA means both happened.
        self.assertRegex(head, rb"by mx\.b\.example \(tern\) with ESMTPSA")
        self.assertIn(b"relay@b.example", head.split(b"Received: ")[1])
        self.assertIn(b"by mx.a.example (tern) with ESMTPA", head)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0, "no bounce")

    def test_smarthost_refusing_the_login_keeps_the_mail_queued(self):
        a, b = self.smarthost_pair("wrong")
        self.submit(a, "alice@a.example", ["bob@b.example"], "wrong password")
        self.assertTrue(wait_until(lambda: "refused our login" in a.read_log(), 15), self.diagnostics())
        ids = queue_ids(a)
        self.assertEqual(len(ids), 1, self.diagnostics())
        self.assertIn("refused our login: 535 5.7.8", a.cli("queue", "show", ids[0]).stdout)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0, "a refused login is not a bounce")
        self.assertEqual(b.mailbox_counts("bob@b.example")["INBOX"], 0)
        a.cli("queue", "remove", ids[0])

    def test_one_delay_warning_after_warn_after(self):
        a = self.make_tern("a.example", queue='retry = ["1s"]\nmax_age = "1h"\nwarn_after = "2s"\n')
        self.submit(a, "alice@a.example", ["zoe@slow.example"], "slowly")
        self.assertEqual(a.wait_for_messages("alice@a.example", 1, timeout=20), 1, self.diagnostics())
        time.sleep(4)  # several more refused attempts
        notices = messages(a, "alice@a.example")
        self.assertEqual(len(notices), 1, "exactly one delay warning" + self.diagnostics())
        warning = notices[0]
        self.assertTrue(warning.startswith(b"Return-Path: <>\r\n"), warning[:200])
        self.assertIn(b"multipart/report; report-type=delivery-status", warning)
        self.assertIn(b"Final-Recipient: rfc822; zoe@slow.example", warning)
        self.assertIn(b"Action: delayed", warning)
        self.assertRegex(warning, rb"Status: 4\.\d+\.\d+")
        self.assertIn(b"Will-Retry-Until: ", warning)
        self.assertIn(b"Subject: slowly", warning)
        ids = queue_ids(a)
        self.assertEqual(len(ids), 1, "still queued after the warning")
        self.assertGreaterEqual(a.read_log().count("result=deferred"), 3)
        a.cli("queue", "remove", ids[0])

    def test_smtputf8_only_to_a_server_that_offers_it(self):
        ascii_peer = self.peer("ascii.example")
        utf8_peer = self.peer("utf8.example", keywords=("8BITMIME", "SMTPUTF8", "SIZE 10000000"))
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["jörg@ascii.example", "jörg@utf8.example"], "grüße",
                    body="Grüße aus Köln.\r\n", mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertTrue(wait_until(lambda: utf8_peer.received), "never delivered" + self.diagnostics())
        mail_from, rcpts, data = utf8_peer.received[0]
        self.assertEqual(rcpts, ["jörg@utf8.example"])
        self.assertIn("SMTPUTF8", utf8_peer.mail_commands()[0].upper())
        self.assertIn("Grüße aus Köln.".encode(), data)

        self.assertEqual(a.wait_for_messages("alice@a.example", 1), 1, self.diagnostics())
        self.wait_for_queue_empty(a)
        bounces = messages(a, "alice@a.example")
        self.assertEqual(len(bounces), 1, self.diagnostics())
        self.assertIn("Final-Recipient: rfc822; jörg@ascii.example".encode(), bounces[0])
        self.assertEqual(bounces[0].count(b"Final-Recipient:"), 1, "only the recipient that failed")
        self.assertIn(b"Status: 5.6.7", bounces[0])
        self.assertIn(b"Action: failed", bounces[0])
        self.assertEqual(ascii_peer.mail_commands(), [], "nothing sent to a server without SMTPUTF8")

    def test_peer_size_limit_bounces(self):
        peer = self.peer("small.example", keywords=("8BITMIME", "SIZE 2000"))
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["sam@small.example"], "too big", body=("x" * 70 + "\r\n") * 60)
        self.submit(a, "alice@a.example", ["sam@small.example"], "small enough")
        self.assertTrue(wait_until(lambda: peer.received), "never delivered" + self.diagnostics())
        self.assertEqual(a.wait_for_messages("alice@a.example", 1), 1, self.diagnostics())
        self.wait_for_queue_empty(a)
        self.assertEqual(len(peer.received), 1)
        self.assertIn(b"Subject: small enough", peer.received[0][2])
        self.assertRegex(peer.mail_commands()[0], r"(?i) SIZE=\d+")
        bounces = messages(a, "alice@a.example")
        self.assertEqual(len(bounces), 1, self.diagnostics())
        self.assertIn(b"Final-Recipient: rfc822; sam@small.example", bounces[0])
        self.assertIn(b"Status: 5.3.4", bounces[0])
        self.assertIn(b"exceeds the limit of mx.small.example (2000 octets)", bounces[0])
        self.assertIn(b"Subject: too big", bounces[0])

    def test_null_sender_failure_is_dropped_not_bounced(self):
        peer = self.peer("hard.example", rcpt_reply="550 5.1.1 no such user here")
        a = self.make_tern("a.example")
        self.submit(a, "", ["nobody@hard.example"], "a notice of some kind")
        self.assertTrue(wait_until(lambda: peer.mail_commands()), "never tried" + self.diagnostics())
        self.assertTrue(peer.mail_commands()[0].startswith("MAIL FROM:<>"), peer.commands)
        self.wait_for_queue_empty(a)
        self.assertRegex(a.read_log(), r"to=nobody@hard\.example result=bounced status=5\.1\.1")
        self.assertRegex(a.read_log(), r"event=bounce_dropped queue_id=\S+ reason=null_sender recipients=1")
        time.sleep(2)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0)
        self.assertEqual(queue_ids(a), [], "no notice queued")
        self.assertEqual(len(peer.mail_commands()), 1, "tried once, nothing sent afterwards")

    def test_connection_reused_for_the_next_message(self):
        peer = self.peer("again.example")
        a = self.make_tern("a.example")
        for n in (1, 2):
            self.submit(a, "alice@a.example", ["ann@again.example"], f"message {n}")
            self.assertTrue(wait_until(lambda: len(peer.received) == n), "not delivered" + self.diagnostics())
        self.assertEqual(peer.connections, 1, peer.commands)
        self.assertEqual([c.split(" ", 1)[0].upper() for c in peer.commands],
                         ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA"])
        # Idle for a few seconds, the connection is closed.
        self.assertTrue(wait_until(lambda: peer.open == 0, 15), "idle connection never closed")

        # A connection the server closed while it was idle: the next message takes a new one.
        self.submit(a, "alice@a.example", ["ann@again.example"], "message 3")
        self.assertTrue(wait_until(lambda: len(peer.received) == 3), "not delivered" + self.diagnostics())
        peer.drop_connections()
        self.submit(a, "alice@a.example", ["ann@again.example"], "message 4")
        self.assertTrue(wait_until(lambda: len(peer.received) == 4), "not delivered" + self.diagnostics())
        self.assertEqual(peer.connections, 3, peer.commands)
        self.wait_for_queue_empty(a)
        self.assertEqual([m[2].split(b"Subject: ")[1].split(b"\r\n")[0] for m in peer.received],
                         [b"message 1", b"message 2", b"message 3", b"message 4"])
        self.assertNotIn("result=deferred", a.read_log(), "a closed idle connection is no failed attempt")
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0)


if __name__ == "__main__":
    unittest.main()
