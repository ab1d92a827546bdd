"""SMTP with real clients (smtplib, swaks) against a running tern: local
delivery and trace fields, aliases and catch-all, 8BITMIME/SMTPUTF8,
recipient de-duplication, EHLO capabilities per listener, submission (TLS and
AUTH rules, queueing, added Message-ID/Date), relay refusal, and the plain
command errors."""
import email
import email.utils
import smtplib
import subprocess
import unittest

from harness import Tern, insecure_tls_context, mailbox_count, messages, queue_ids

DOMAIN = "example.test"
PASSWORD = "dave-secret-pw"
COMMON = ("size", "pipelining", "8bitmime", "smtputf8", "dsn", "chunking", "enhancedstatuscodes")


def plain_message(subject, body="Hello.\r\n", extra="", sender="sender@origin.test"):
    return (f"From: {sender}\r\nTo: someone@{DOMAIN}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@origin.test>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
            f"{extra}\r\n{body}").encode()


def header_block(raw):
    return raw.split(b"\r\n\r\n", 1)[0]


def received_fields(raw):
    msg = email.message_from_bytes(raw)
    return [" ".join(v.split()) for v in msg.get_all("Received", [])]


class SmtpDelivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A closed port for remote.test, so that a queue runner never looks up DNS for it.
        cls.tern = Tern(extra=f'[relay.routes]\n"remote.test" = "127.0.0.1:1"\n'
                              '[queue]\nretry = ["1h"]\n')
        t = cls.tern
        for user in ("alice", "bob", "carol", "frank"):
            t.add_user(f"{user}@{DOMAIN}", f"{user}-pw")
        t.add_user(f"dave@{DOMAIN}", PASSWORD)
        t.cli("alias", "add", f"info@{DOMAIN}", f"carol@{DOMAIN}")
        t.cli("alias", "add", f"postmaster@{DOMAIN}", f"alice@{DOMAIN}")
        t.cli("alias", "add", f"fwd@{DOMAIN}", "ext@remote.test", f"carol@{DOMAIN}")
        t.cli("domain", "add", "catchall.test")
        t.cli("alias", "add", "@catchall.test", f"carol@{DOMAIN}")
        t.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.tern.stop()
            assert code == 0, f"tern exited {code}:\n{cls.tern.read_log()}"
        finally:
            cls.tern.close()

    # -- helpers ------------------------------------------------------------
    def smtp(self):
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["smtp"], local_hostname="client.origin.test", timeout=10)
        self.addCleanup(s.close)
        return s

    def submission(self, login=True):
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["submission"], local_hostname="client.origin.test",
                         timeout=10)
        self.addCleanup(s.close)
        s.starttls(context=insecure_tls_context())
        s.ehlo()
        if login:
            s.login(f"dave@{DOMAIN}", PASSWORD)
        return s

    def submissions(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.tern.ports["submissions"], local_hostname="client.origin.test",
                             timeout=10, context=insecure_tls_context())
        self.addCleanup(s.close)
        s.ehlo()
        return s

    def count(self, user):
        return mailbox_count(self.tern, f"{user}@{DOMAIN}")

    def last(self, user):
        return messages(self.tern, f"{user}@{DOMAIN}")[-1]

    # -- port 25 delivery -----------------------------------------------------
    def test_local_delivery_has_return_path_and_received(self):
        before = self.count("alice")
        s = self.smtp()
        refused = s.sendmail("sender@origin.test", [f"alice@{DOMAIN}"], plain_message("local one", "Line 1\r\n"))
        self.assertEqual(refused, {})
        s.quit()
        self.assertEqual(self.count("alice"), before + 1)
        raw = self.last("alice")
        self.assertTrue(raw.startswith(b"Return-Path: <sender@origin.test>\r\n"), raw[:200])
        received = received_fields(raw)
        self.assertEqual(len(received), 1, received)
        self.assertIn("from client.origin.test", received[0])
        self.assertIn("127.0.0.1", received[0])
        self.assertIn("by mail.example.test", received[0])
        self.assertIn("with ESMTP ", received[0])
        self.assertIn(f"for <alice@{DOMAIN}>", received[0])
        self.assertTrue(raw.endswith(b"\r\n\r\nLine 1\r\n"), raw[-100:])
        self.assertIn(b"Subject: local one\r\n", raw)
        # CRLF line endings throughout, and the message was not altered.
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))

    def test_alias_and_catch_all_deliver_to_target(self):
        before = self.count("carol")
        s = self.smtp()
        self.assertEqual(s.sendmail("a@origin.test", [f"info@{DOMAIN}"], plain_message("via alias")), {})
        self.assertEqual(self.count("carol"), before + 1)
        self.assertIn(b"Subject: via alias", self.last("carol"))
        self.assertEqual(s.sendmail("a@origin.test", ["whoever@catchall.test"], plain_message("via catch all")), {})
        self.assertEqual(self.count("carol"), before + 2)
        raw = self.last("carol")
        self.assertIn(b"Subject: via catch all", raw)
        self.assertIn("for <whoever@catchall.test>", received_fields(raw)[0])
        s.quit()

    def test_alias_with_remote_target_is_forwarded(self):
        # Forwarding configured by the operator is not relaying: accepted without AUTH.
        before_queue, before = set(queue_ids(self.tern)), self.count("carol")
        s = self.smtp()
        self.assertEqual(s.sendmail("a@origin.test", [f"fwd@{DOMAIN}"], plain_message("forwarded")), {})
        s.quit()
        self.assertEqual(self.count("carol"), before + 1)
        new = set(queue_ids(self.tern)) - before_queue
        self.assertEqual(len(new), 1)
        shown = self.tern.cli("queue", "show", new.pop()).stdout
        self.assertIn("recipient: <ext@remote.test> state=pending", shown)
        self.assertNotIn(f"carol@{DOMAIN}", shown)

    def test_8bitmime_and_smtputf8(self):
        before = self.count("carol")
        body = "Grüße aus Köln — ñ 日本\r\n".encode()
        msg = ("From: jörg@origin.test\r\nTo: jürgen@catchall.test\r\nSubject: Grüße\r\n\r\n").encode() + body
        s = self.smtp()
        s.ehlo()
        self.assertTrue(s.has_extn("smtputf8") and s.has_extn("8bitmime"))
        refused = s.sendmail("jörg@origin.test", ["jürgen@catchall.test"], msg,
                             mail_options=["BODY=8BITMIME", "SMTPUTF8"])
        self.assertEqual(refused, {})
        s.quit()
        self.assertEqual(self.count("carol"), before + 1)
        raw = self.last("carol")
        self.assertTrue(raw.endswith(b"\r\n\r\n" + body), raw[-120:])
        self.assertTrue(raw.startswith("Return-Path: <jörg@origin.test>\r\n".encode()), raw[:120])
        received = b" ".join(header_block(raw).split())
        self.assertIn("for <jürgen@catchall.test>".encode(), received)
        self.assertIn(b"UTF8SMTP", received)

    def test_utf8_address_needs_smtputf8(self):
        s = self.smtp()
        s.ehlo()
        s.command_encoding = "utf-8"
        code, text = s.docmd("MAIL", "FROM:<jörg@origin.test>")
        self.assertEqual(code, 553, text)
        self.assertTrue(text.startswith(b"5.6.7"), text)
        self.assertEqual(s.mail("a@origin.test")[0], 250)
        code, text = s.docmd("RCPT", "TO:<jürgen@catchall.test>")
        self.assertEqual(code, 553, text)
        self.assertTrue(text.startswith(b"5.6.7"), text)

    def test_multiple_recipients_one_copy_each(self):
        before = {u: self.count(u) for u in ("bob", "frank", "carol")}
        s = self.smtp()
        s.ehlo()
        rcpts = [f"bob@{DOMAIN}", f"frank@{DOMAIN}", f"bob@{DOMAIN}", f"BOB@Example.Test",
                 f"carol@{DOMAIN}", f"info@{DOMAIN}", "x@catchall.test"]
        self.assertEqual(s.sendmail("a@origin.test", rcpts, plain_message("many")), {})
        s.quit()
        for user in before:
            self.assertEqual(self.count(user), before[user] + 1, user)
        raw = self.last("frank")
        self.assertIn(b"Subject: many", raw)
        # With several recipients, Received: names none of them.
        self.assertNotIn("for <", received_fields(raw)[0])
        self.assertEqual(self.last("bob"), raw)

    def test_null_sender_helo_and_postmaster(self):
        before = self.count("alice")
        s = self.smtp()
        self.assertEqual(s.helo("old.origin.test")[0], 250)
        self.assertEqual(s.mail("")[0], 250)
        for rcpt in ("postmaster", "PostMaster"):  # RFC 5321 4.5.1: no domain, any case
            code, text = s.docmd("RCPT", f"TO:<{rcpt}>")
            self.assertEqual(code, 250, text)
        code, text = s.data(b"Subject: bounce-ish\r\n\r\nfor the postmaster\r\n")
        self.assertEqual(code, 250, text)
        s.quit()
        self.assertEqual(self.count("alice"), before + 1)
        raw = self.last("alice")
        self.assertTrue(raw.startswith(b"Return-Path: <>\r\n"), raw[:100])
        received = received_fields(raw)[0]
        self.assertIn("from old.origin.test", received)
        self.assertIn("with SMTP id", received)
        self.assertIn(f"for <postmaster@{DOMAIN}>", received)

    def test_starttls_on_port_25_then_delivery(self):
        before = self.count("frank")
        s = self.smtp()
        s.starttls(context=insecure_tls_context())
        s.ehlo()
        # DSN parameters are taken (RFC 3461).
        code, text = s.docmd("MAIL", "FROM:<a@origin.test> RET=HDRS ENVID=abc+2Bdef BODY=7BIT SIZE=100")
        self.assertEqual(code, 250, text)
        code, text = s.docmd("RCPT", f"TO:<frank@{DOMAIN}> NOTIFY=FAILURE,DELAY ORCPT=rfc822;frank@{DOMAIN}")
        self.assertEqual(code, 250, text)
        self.assertEqual(s.data(b"Subject: over tls\r\n\r\nsecret\r\n")[0], 250)
        s.quit()
        self.assertEqual(self.count("frank"), before + 1)
        received = received_fields(self.last("frank"))[0]
        self.assertIn("with ESMTPS ", received)
        self.assertRegex(received, r"TLSv1\.[23]")

    # -- EHLO per listener ----------------------------------------------------
    def assert_common(self, s):
        for ext in COMMON:
            self.assertTrue(s.has_extn(ext), f"{ext} missing from {s.esmtp_features}")
        self.assertEqual(s.esmtp_features["size"].strip(), "52428800")

    def test_ehlo_port_25(self):
        s = self.smtp()
        s.ehlo()
        self.assert_common(s)
        self.assertTrue(s.has_extn("starttls"))
        self.assertFalse(s.has_extn("auth"))
        code, text = s.docmd("AUTH", "PLAIN AGFsaWNlAHB3")
        self.assertEqual(code, 503, text)
        s.starttls(context=insecure_tls_context())
        s.ehlo()
        self.assert_common(s)
        self.assertFalse(s.has_extn("auth"), s.esmtp_features)
        self.assertFalse(s.has_extn("starttls"))
        code, text = s.docmd("AUTH", "PLAIN AGFsaWNlAHB3")
        self.assertEqual(code, 503, text)

    def test_ehlo_port_587(self):
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["submission"], timeout=10)
        self.addCleanup(s.close)
        s.ehlo()
        self.assert_common(s)
        self.assertTrue(s.has_extn("starttls"))
        self.assertFalse(s.has_extn("auth"), s.esmtp_features)
        s.starttls(context=insecure_tls_context())
        s.ehlo()
        self.assert_common(s)
        self.assertFalse(s.has_extn("starttls"))
        self.assertEqual(set(s.esmtp_features["auth"].split()), {"PLAIN", "LOGIN"})

    def test_ehlo_port_465(self):
        s = self.submissions()
        self.assert_common(s)
        self.assertFalse(s.has_extn("starttls"))
        self.assertEqual(set(s.esmtp_features["auth"].split()), {"PLAIN", "LOGIN"})

    # -- submission -------------------------------------------------------------
    def test_submission_refuses_before_tls_and_auth(self):
        s = smtplib.SMTP("127.0.0.1", self.tern.ports["submission"], timeout=10)
        self.addCleanup(s.close)
        s.ehlo()
        code, text = s.docmd("MAIL", f"FROM:<dave@{DOMAIN}>")
        self.assertEqual((code, text[:5]), (530, b"5.7.0"), text)
        # AUTH (with a password in it) before TLS: refused, never checked.
        code, text = s.docmd("AUTH", "PLAIN AGRhdmVAZXhhbXBsZS50ZXN0AGRhdmUtc2VjcmV0LXB3")
        self.assertEqual((code, text[:6]), (530, b"5.7.0 "), text)  # "Must issue a STARTTLS command first"
        s.starttls(context=insecure_tls_context())
        s.ehlo()
        code, text = s.docmd("MAIL", f"FROM:<dave@{DOMAIN}>")
        self.assertEqual((code, text[:5]), (530, b"5.7.0"), text)
        code, text = s.docmd("RCPT", f"TO:<alice@{DOMAIN}>")
        self.assertEqual(code // 100, 5, text)

    def test_auth_plain_and_login_on_587_and_465(self):
        for port_name in ("submission", "submissions"):
            for mechanism in ("PLAIN", "LOGIN"):
                for initial_response in (True, False):
                    with self.subTest(port=port_name, mechanism=mechanism, initial_response=initial_response):
                        s = self.submission(login=False) if port_name == "submission" else self.submissions()
                        s.user, s.password = f"dave@{DOMAIN}", PASSWORD
                        authobject = s.auth_plain if mechanism == "PLAIN" else s.auth_login
                        code, text = s.auth(mechanism, authobject, initial_response_ok=initial_response)
                        self.assertEqual((code, text[:5]), (235, b"2.7.0"), text)
                        # A second AUTH in the same session is out of sequence.
                        self.assertEqual(s.docmd("AUTH", "PLAIN")[0], 503)
                        self.assertEqual(s.mail(f"dave@{DOMAIN}")[0], 250)
                        s.quit()

    def test_wrong_password_535(self):
        s = self.submission(login=False)
        with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
            s.login(f"dave@{DOMAIN}", "not-the-password")
        self.assertEqual(caught.exception.smtp_code, 535)
        self.assertTrue(caught.exception.smtp_error.startswith(b"5.7.8"), caught.exception.smtp_error)
        # Still unauthenticated: no mail.
        self.assertEqual(s.docmd("MAIL", f"FROM:<dave@{DOMAIN}>")[0], 530)

    def test_submission_to_remote_is_queued(self):
        before = set(queue_ids(self.tern))
        s = self.submission()
        msg = plain_message("outbound", sender=f"dave@{DOMAIN}")
        self.assertEqual(s.sendmail(f"dave@{DOMAIN}", ["someone@remote.test"], msg), {})
        s.quit()
        new = set(queue_ids(self.tern)) - before
        self.assertEqual(len(new), 1, self.tern.cli("queue", "list").stdout)
        listing = self.tern.cli("queue", "list").stdout
        self.assertIn("to=<someone@remote.test> state=pending", listing)
        shown = self.tern.cli("queue", "show", new.pop()).stdout
        self.assertIn(f"submitted by: dave@{DOMAIN}", shown)
        self.assertIn(f"sender: <dave@{DOMAIN}>", shown)
        self.assertIn("recipient: <someone@remote.test> state=pending", shown)

    def test_submission_local_adds_message_id_and_date(self):
        before = self.count("alice")
        s = self.submission()
        bare = f"From: dave@{DOMAIN}\r\nTo: alice@{DOMAIN}\r\nSubject: no id\r\n\r\nhi\r\n".encode()
        self.assertEqual(s.sendmail(f"dave@{DOMAIN}", [f"alice@{DOMAIN}"], bare), {})
        complete = plain_message("has id", sender=f"dave@{DOMAIN}")
        self.assertEqual(s.sendmail(f"dave@{DOMAIN}", [f"alice@{DOMAIN}"], complete), {})
        s.quit()
        self.assertEqual(self.count("alice"), before + 2)
        first, second = messages(self.tern, f"alice@{DOMAIN}")[-2:]
        msg = email.message_from_bytes(first)
        self.assertEqual(len(msg.get_all("Message-ID", [])), 1, first)
        self.assertRegex(msg["Message-ID"], r"^<[^<>@\s]+@[^<>@\s]+>$")
        self.assertEqual(len(msg.get_all("Date", [])), 1, first)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        received = received_fields(first)[0]
        self.assertIn("with ESMTPSA", received)
        self.assertIn("by mail.example.test", received)
        self.assertTrue(first.endswith(b"Subject: no id\r\n\r\nhi\r\n"), first)
        # Present fields are kept, never duplicated or replaced.
        msg = email.message_from_bytes(second)
        self.assertEqual(msg.get_all("Message-ID"), ["<has-id@origin.test>"])
        self.assertEqual(msg.get_all("Date"), ["Thu, 1 Jan 2026 00:00:00 +0000"])

    # -- relay and recipients -------------------------------------------------
    def test_no_relay_from_port_25(self):
        before = queue_ids(self.tern)
        tricks = {"someone@remote.test": (554, b"5.7.1"), "user%other.test@example.test": (550, b"5.7.1"),
                  '"user@other.test"@example.test': (550, b"5.7.1"), "@a.test:user@b.test": (553, b"5.1.0"),
                  "user!other@example.test": (550, b"5.7.1"), "@a.test:alice@example.test": (553, b"5.1.0"),
                  "alice@mail.example.test": (554, b"5.7.1"), "user@[127.0.0.1]": (501, b"5.1.3"),
                  "alice@example.test@remote.test": (501, b"5.1.3")}
        for rcpt, expected in tricks.items():
            with self.subTest(rcpt=rcpt):
                s = self.smtp()  # one session each: the refusals count towards the error limit
                s.ehlo()
                self.assertEqual(s.mail("a@origin.test")[0], 250)
                code, text = s.docmd("RCPT", f"TO:<{rcpt}>")
                self.assertEqual((code, text[:5]), expected, text)
                code, text = s.docmd("DATA")
                self.assertIn(code, (503, 554), text)
                s.quit()
        self.assertEqual(queue_ids(self.tern), before)
        if not before:
            self.assertEqual(self.tern.cli("queue", "list").stdout.strip(), "queue is empty")

    def test_unknown_local_user_550_511(self):
        s = self.smtp()
        s.ehlo()
        s.mail("a@origin.test")
        code, text = s.rcpt(f"nobody@{DOMAIN}")
        self.assertEqual((code, text[:5]), (550, b"5.1.1"), text)
        self.assertEqual(s.rcpt(f"alice@{DOMAIN}")[0], 250)

    def test_vrfy_never_reveals(self):
        s = self.smtp()
        s.ehlo()
        known = s.verify(f"alice@{DOMAIN}")
        unknown = s.verify(f"nobody@{DOMAIN}")
        self.assertEqual(known[0], 252)
        self.assertEqual(known, unknown)
        self.assertNotIn(b"alice", known[1])
        self.assertEqual(s.docmd("EXPN", f"info@{DOMAIN}")[0], 502)

    def test_command_sequence_and_syntax_errors(self):
        s = self.smtp()
        s.ehlo()
        code, text = s.docmd("RCPT", f"TO:<alice@{DOMAIN}>")
        self.assertEqual((code, text[:5]), (503, b"5.5.1"), text)
        code, text = s.docmd("DATA")
        self.assertEqual((code, text[:5]), (503, b"5.5.1"), text)
        self.assertEqual(s.mail("a@origin.test")[0], 250)
        code, text = s.docmd("MAIL", "FROM:<b@origin.test>")
        self.assertEqual((code, text[:5]), (503, b"5.5.1"), text)
        code, text = s.docmd("DATA")  # no recipient yet: 503 or "554 no valid recipients" (RFC 5321 3.3)
        self.assertIn(code, (503, 554), text)
        self.assertTrue(text.startswith(b"5.5."), text)
        s.quit()
        # Syntax errors, in a fresh session (every error reply counts towards the limit of 10).
        s = self.smtp()
        s.ehlo()
        code, text = s.docmd("FROBNICATE", "now")
        self.assertEqual(code, 500, text)
        self.assertTrue(text.startswith(b"5.5."), text)
        for verb, args, codes in (("MAIL", "FROM:bogus", (501,)), ("MAIL", "FROM:<a@origin.test> NOSUCH=1", (555,)),
                                  ("HELO", "", (501,)), ("MAIL", "FROM:<a@origin.test>", (250,)),
                                  ("RCPT", "TO:<>", (501,)), ("RCPT", "TO:alice", (501,)),
                                  ("RCPT", f"TO:<alice@{DOMAIN}> NOTIFY=SOMETIMES", (501,)),
                                  ("NOOP", "", (250,))):
            code, text = s.docmd(verb, args)
            self.assertIn(code, codes, (verb, args, code, text))
            if code >= 500:
                self.assertRegex(text, rb"^5\.[0-9]\.[0-9]+ ", (verb, args))
        self.assertEqual(s.rcpt(f"alice@{DOMAIN}")[0], 250)
        s.quit()

    # -- swaks ------------------------------------------------------------------
    def swaks(self, *args):
        result = subprocess.run(["swaks", "--server", "127.0.0.1", "--helo", "swaks.origin.test",
                                 "--timeout", "10", *args], capture_output=True, text=True, timeout=60)
        return result

    def test_swaks_port_25_and_submission(self):
        before = self.count("frank")
        r = self.swaks("--port", str(self.tern.ports["smtp"]), "--from", "swaks@origin.test",
                       "--to", f"frank@{DOMAIN}", "--header", "Subject: by swaks", "--pipeline")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.swaks("--port", str(self.tern.ports["submission"]), "--tls", "--auth", "LOGIN",
                       "--auth-user", f"dave@{DOMAIN}", "--auth-password", PASSWORD,
                       "--from", f"dave@{DOMAIN}", "--to", f"frank@{DOMAIN}", "--header", "Subject: swaks 587")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.swaks("--port", str(self.tern.ports["submissions"]), "--tlsc", "--auth", "PLAIN",
                       "--auth-user", f"dave@{DOMAIN}", "--auth-password", PASSWORD,
                       "--from", f"dave@{DOMAIN}", "--to", f"frank@{DOMAIN}", "--header", "Subject: swaks 465")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.count("frank"), before + 3)
        last3 = messages(self.tern, f"frank@{DOMAIN}")[-3:]
        self.assertIn(b"Subject: by swaks", last3[0])
        self.assertIn("with ESMTP ", received_fields(last3[0])[0])
        self.assertIn("with ESMTPSA", received_fields(last3[1])[0])
        self.assertIn("with ESMTPSA", received_fields(last3[2])[0])
        # Relay attempt by swaks fails at RCPT (swaks exit code 24).
        r = self.swaks("--port", str(self.tern.ports["smtp"]), "--from", "swaks@origin.test",
                       "--to", "victim@remote.test")
        self.assertEqual(r.returncode, 24, r.stdout + r.stderr)
        self.assertIn("554 5.7.1", r.stdout)


if __name__ == "__main__":
    unittest.main()
