"""Store and forward: tern's queue delivering to real peers found by MX records.

A private dnsmasq (Debian's, on a free loopback port) serves the MX and A
records of the test domains; tern is configured with [dns] servers pointing at
it. Peers listen on port 25 of other loopback addresses (127.0.0.2, .3, ...):
another tern, tiny asyncio SMTP servers scripted to answer 4xx or 5xx, or
nothing at all. Assertions are on mailboxes, the queue and bounces.

Needs root (port 25) and dnsmasq (scripts/install-deps.sh installs
dnsmasq-base). Without them the tests skip, except under CI, where they fail.
"""
import asyncio
import os
import smtplib
import threading
import time
import unittest

from harness import DNSMASQ, Dnsmasq, Tern, insecure_tls_context, messages, queue_ids

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# domain -> (MX host, its address); None: a null MX (RFC 7505). The last three are under
# special-use names (RFC 6761 test. and invalid., RFC 8375 home.arpa.) that libunbound would
# answer itself, as nonexistent, unless tern has it ask the configured server for every name.
ZONES = {
    "a.example": ("mx.a.example", "127.0.0.2"),
    "b.example": ("mx.b.example", "127.0.0.3"),
    "soft.example": ("mx.soft.example", "127.0.0.4"),
    "hard.example": ("mx.hard.example", "127.0.0.5"),
    "later.example": ("mx.later.example", "127.0.0.6"),
    "dead.example": ("mx.dead.example", "127.0.0.7"),
    "null.example": None,
    "lab.test": ("mx.lab.test", "127.0.0.8"),
    "corp.home.arpa": ("mx.corp.home.arpa", "127.0.0.8"),
    "mail.invalid": ("mx.mail.invalid", "127.0.0.8"),
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
    """A scripted SMTP server on ADDRESS:25 (asyncio, in a thread). `rcpt_replies` are used in turn for
    each RCPT (the last repeats); accepted messages are kept in `received` as (mail_from, rcpts, data)."""

    def __init__(self, address, rcpt_replies=("250 2.1.5 ok",)):
        self.address = address
        self.rcpt_replies = list(rcpt_replies)
        self.received = []
        self.transactions = 0
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
        try:
            await reply("220 peer.test ESMTP")
            mail_from, rcpts = None, []
            while True:
                line = (await reader.readline()).decode(errors="replace").rstrip("\r\n")
                if not line:
                    break
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    await reply("250-peer.test\r\n250-8BITMIME\r\n250 SIZE 10000000")
                elif verb == "MAIL":
                    mail_from, rcpts = line[10:].split(">")[0].lstrip("<"), []
                    self.transactions += 1
                    await reply("250 2.1.0 ok")
                elif verb == "RCPT":
                    answer = self.rcpt_replies[min(self.transactions - 1, len(self.rcpt_replies) - 1)]
                    if answer.startswith("2"):
                        rcpts.append(line[8:].split(">")[0].lstrip("<"))
                    await reply(answer)
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
            writer.close()

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def wait_until(predicate, timeout=30, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def header_of(message):
    return message.split(b"\r\n\r\n", 1)[0]


class QueueTest(unittest.TestCase):
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

    def make_tern(self, domain, address=None, queue=None, users=("alice",)):
        extra = f'[auth]\nallow_plaintext_loopback = true\n[dns]\nservers = ["127.0.0.1:{dns.port}"]\n' \
                f'[queue]\n{queue or self.QUEUE}'
        bind = {"smtp": (address, 25)} if address else {}
        protocols = ("smtp", "submission") if address else ("submission",)
        tern = Tern(protocols=protocols, extra=extra, hostname=f"mx.{domain}", bind=bind)
        self.terns.append(tern)
        for user in users:
            tern.add_user(f"{user}@{domain}", "pw-" + user)
        return tern.start()

    def submit(self, tern, sender, recipients, subject, body="Hello over there.\r\n", password=None):
        message = (f"From: <{sender}>\r\nTo: {', '.join('<%s>' % r for r in recipients)}\r\n"
                   f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '-')}@tern.test>\r\n\r\n{body}")
        with smtplib.SMTP("127.0.0.1", tern.ports["submission"], timeout=30) as client:
            client.ehlo("client.example")
            client.login(sender, password or "pw-" + sender.split("@")[0])
            refused = client.sendmail(sender, recipients, message.encode())
            self.assertEqual(refused, {})

    def diagnostics(self):
        return "".join(f"\n--- {t.config} ---\n{t.read_log()[-5000:]}" for t in self.terns)

    def wait_for_queue_empty(self, tern, timeout=30):
        self.assertTrue(wait_until(lambda: not queue_ids(tern), timeout), "queue not empty: " +
                        tern.cli("queue", "list").stdout + self.diagnostics())

    def test_two_terns_forward_to_each_other_by_mx(self):
        a = self.make_tern("a.example", "127.0.0.2")
        b = self.make_tern("b.example", "127.0.0.3", users=("bob",))
        self.submit(a, "alice@a.example", ["bob@b.example"], "hello bob")
        n = b.wait_for_messages("bob@b.example", 1)
        self.assertEqual(n, 1, self.diagnostics())
        stored = messages(b, "bob@b.example")[0]
        head = header_of(stored)
        # B checks A's signatures; this DNS publishes no keys, and does not answer for them.
        self.assertTrue(head.startswith(b"Return-Path: <alice@a.example>\r\nAuthentication-Results: mx.b.example;"
                                        b"\r\n\tdkim=temperror (key lookup failed for now) header.d=a.example"), head)
        self.assertIn(b"header.a=rsa-sha256 header.b=", head)
        self.assertIn(b"\r\nReceived: from mx.a.example", head)
        self.assertEqual(head.count(b"Return-Path:"), 1, "A's stored Return-Path must not travel")
        self.assertEqual(head.count(b"\r\nReceived: "), 2, head)  # B's and A's
        self.assertIn(b"by mx.b.example (tern) with ESMTPS", head)
        self.assertIn(b"by mx.a.example (tern) with ESMTPA", head)  # submitted over loopback, no TLS
        self.assertTrue(stored.endswith(b"\r\n\r\nHello over there.\r\n"), stored)
        self.wait_for_queue_empty(a)

        # And back: bob answers through B.
        self.submit(b, "bob@b.example", ["alice@a.example"], "hello alice", body=".dot first\r\nbye\r\n")
        self.assertEqual(a.wait_for_messages("alice@a.example", 1), 1, self.diagnostics())
        self.assertTrue(messages(a, "alice@a.example")[0].endswith(b"\r\n\r\n.dot first\r\nbye\r\n"))

        # A restart in a quiet period delivers nothing twice.
        self.assertEqual(a.stop(), 0)
        a.start()
        time.sleep(3)
        self.assertEqual(b.mailbox_counts("bob@b.example")["INBOX"], 1)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 1)

    def test_large_message_is_relayed_a_piece_at_a_time(self):
        # Over 1 MiB, the queue reads the stored message in pieces and dot-stuffs them on the way.
        a = self.make_tern("a.example", "127.0.0.2")
        b = self.make_tern("b.example", "127.0.0.3", users=("bob",))
        body = "".join((".dot %d\r\n" if i % 5 == 0 else "line %d of a large message\r\n") % i
                       for i in range(100000))
        self.submit(a, "alice@a.example", ["bob@b.example"], "large relay", body=body)
        self.assertEqual(b.wait_for_messages("bob@b.example", 1, timeout=60), 1, self.diagnostics())
        stored = messages(b, "bob@b.example")[0]
        self.assertGreater(len(stored), 2 * 1024 * 1024)
        self.assertTrue(stored.endswith(b"\r\n\r\n" + body.encode()), self.diagnostics())
        self.assertEqual(header_of(stored).count(b"Return-Path:"), 1, "A's stored Return-Path must not travel")
        self.wait_for_queue_empty(a)

    def test_special_use_names_are_asked_of_the_configured_server(self):
        # A lab, or a company's private zones: with [dns] servers configured, mail for names
        # under test., home.arpa. and invalid. is routed by what those servers answer.
        peer = Peer("127.0.0.8")
        self.addCleanup(peer.stop)
        a = self.make_tern("a.example")
        recipients = ["carol@lab.test", "dave@corp.home.arpa", "erin@mail.invalid"]
        self.submit(a, "alice@a.example", recipients, "special use names")
        delivered = lambda: sorted(r for _, rcpts, _ in peer.received for r in rcpts)
        self.assertTrue(wait_until(lambda: delivered() == sorted(recipients)),
                        f"delivered to {delivered()}" + self.diagnostics())
        self.wait_for_queue_empty(a)
        # Nothing bounced ("domain does not exist" was the answer before).
        self.assertEqual(a.mailbox_counts("alice@a.example").get("INBOX", 0), 0, self.diagnostics())
        self.assertNotIn("does not exist", a.read_log())

    def test_temporary_failure_is_retried_until_accepted(self):
        peer = Peer("127.0.0.4", rcpt_replies=("451 4.3.0 try again later", "250 2.1.5 ok"))
        self.addCleanup(peer.stop)
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["carol@soft.example"], "soft")
        self.assertTrue(wait_until(lambda: peer.received), "never delivered" + self.diagnostics())
        self.wait_for_queue_empty(a)
        time.sleep(2)
        self.assertEqual(len(peer.received), 1, "delivered once")
        mail_from, rcpts, data = peer.received[0]
        self.assertEqual((mail_from, rcpts), ("alice@a.example", ["carol@soft.example"]))
        self.assertNotIn(b"Return-Path:", data)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0, "no bounce")

    def test_permanent_failure_bounces_to_the_sender(self):
        peer = Peer("127.0.0.5", rcpt_replies=("550 5.1.1 no such user here",))
        self.addCleanup(peer.stop)
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["nobody@hard.example"], "to nobody")
        self.assertEqual(a.wait_for_messages("alice@a.example", 1), 1, self.diagnostics())
        self.wait_for_queue_empty(a)
        bounce = messages(a, "alice@a.example")[0]
        head = header_of(bounce)
        self.assertTrue(head.startswith(b"Return-Path: <>\r\n"), head)
        self.assertIn(b"From: Mail Delivery System <MAILER-DAEMON@mx.a.example>", head)
        self.assertIn(b"multipart/report; report-type=delivery-status", head)
        self.assertIn(b"Content-Type: message/delivery-status", bounce)
        self.assertIn(b"Final-Recipient: rfc822; nobody@hard.example", bounce)
        self.assertIn(b"Action: failed", bounce)
        self.assertIn(b"Status: 5.1.1", bounce)
        self.assertIn(b"Remote-MTA: dns; mx.hard.example", bounce)
        self.assertIn(b"Diagnostic-Code: smtp; 550 5.1.1 no such user here", bounce)
        self.assertIn(b"Content-Type: text/rfc822-headers", bounce)
        self.assertIn(b"Subject: to nobody", bounce)
        self.assertEqual(peer.received, [])

    def test_null_mx_bounces_at_once(self):
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["x@null.example"], "to null")
        self.assertEqual(a.wait_for_messages("alice@a.example", 1, timeout=15), 1, self.diagnostics())
        bounce = messages(a, "alice@a.example")[0]
        self.assertIn(b"Status: 5.1.10", bounce)
        self.assertIn(b"null MX", bounce)
        self.wait_for_queue_empty(a)

    def test_peer_down_then_back(self):
        a = self.make_tern("a.example")
        self.submit(a, "alice@a.example", ["dave@later.example"], "patience")
        time.sleep(3)  # a few refused attempts
        ids = queue_ids(a)
        self.assertEqual(len(ids), 1, self.diagnostics())
        show = a.cli("queue", "show", ids[0]).stdout
        self.assertIn("dave@later.example", show)
        peer = Peer("127.0.0.6")
        self.addCleanup(peer.stop)
        self.assertTrue(wait_until(lambda: peer.received), "never delivered" + self.diagnostics())
        self.wait_for_queue_empty(a)
        self.assertEqual(len(peer.received), 1)
        self.assertEqual(a.mailbox_counts("alice@a.example")["INBOX"], 0)

    def test_message_expires_after_max_age(self):
        a = self.make_tern("a.example", queue='retry = ["1s"]\nmax_age = "4s"\n')
        self.submit(a, "alice@a.example", ["erin@dead.example"], "doomed")
        self.assertEqual(a.wait_for_messages("alice@a.example", 1, timeout=30), 1, self.diagnostics())
        bounce = messages(a, "alice@a.example")[0]
        self.assertIn(b"Final-Recipient: rfc822; erin@dead.example", bounce)
        self.assertIn(b"Status: 4.4.7", bounce)
        self.assertIn(b"Action: failed", bounce)
        self.wait_for_queue_empty(a)

    def test_queue_retry_from_the_cli(self):
        a = self.make_tern("a.example", queue='retry = ["1h"]\n')
        self.submit(a, "alice@a.example", ["frank@later.example"], "nudge")
        time.sleep(3)  # the first attempt is refused; the next is due in an hour
        peer = Peer("127.0.0.6")
        self.addCleanup(peer.stop)
        time.sleep(2)
        self.assertEqual(peer.received, [], "not before the retry is due")
        a.cli("queue", "retry")
        self.assertTrue(wait_until(lambda: peer.received, timeout=15), "retry did not deliver" + self.diagnostics())
        self.wait_for_queue_empty(a)


if __name__ == "__main__":
    unittest.main()
