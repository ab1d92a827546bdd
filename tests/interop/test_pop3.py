"""POP3 with Python's poplib (and raw sockets for bad input) against a running
tern: STLS on the pop3 listener, implicit TLS on pop3s, STAT/LIST/UIDL/RETR/TOP,
DELE/RSET/QUIT with deletions visible only after QUIT, a dropped connection
removing nothing, the maildrop lock, and refusals of bad input."""
import base64
import itertools
import poplib
import socket
import time
import unittest

from harness import RawPop3, Tern, deliver_local, insecure_tls_context, mailbox_count

PASSWORD = "correct horse"
_counter = itertools.count()


class Pop3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(protocols=("smtp", "pop3", "pop3s"), extra='[limits]\ncommand_timeout = "4s"\n')
        cls.tern.cli("domain", "add", "example.test")
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.tern.stop() == 0, "tern serve did not exit 0"
        finally:
            cls.tern.close()

    def new_user(self, messages=0):
        address = f"user{next(_counter)}@example.test"
        self.tern.cli("user", "add", address, "--password-stdin", input=PASSWORD + "\n")
        subjects = [f"message {i}" for i in range(1, messages + 1)]
        if subjects:
            deliver_local(self.tern, address, subjects)
            self.assertEqual(mailbox_count(self.tern, address), messages)
        return address, subjects

    def stls_client(self, address):
        client = poplib.POP3("127.0.0.1", self.tern.ports["pop3"], timeout=10)
        client.stls(insecure_tls_context())
        client.user(address)
        client.pass_(PASSWORD)
        return client

    def ssl_client(self, address):
        client = poplib.POP3_SSL("127.0.0.1", self.tern.ports["pop3s"], context=insecure_tls_context(), timeout=10)
        client.user(address)
        client.pass_(PASSWORD)
        return client

    def test_capabilities_before_and_after_stls(self):
        client = poplib.POP3("127.0.0.1", self.tern.ports["pop3"], timeout=10)
        capa = client.capa()
        for name in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "IMPLEMENTATION"):
            self.assertIn(name, capa)
        self.assertNotIn("USER", capa)
        self.assertNotIn("SASL", capa)
        with self.assertRaises(poplib.error_proto) as refused:
            client.user("someone@example.test")
        self.assertIn(b"[AUTH]", refused.exception.args[0])
        client.stls(insecure_tls_context())
        capa = client.capa()
        self.assertIn("USER", capa)
        self.assertEqual(capa["SASL"], ["PLAIN"])
        self.assertNotIn("STLS", capa)
        client.quit()

    def test_stls_retrieve_top_uidl(self):
        address, subjects = self.new_user(3)
        client = self.stls_client(address)
        count, size = client.stat()
        self.assertEqual(count, 3)
        _, listing, _ = client.list()
        sizes = [int(line.split()[1]) for line in listing]
        self.assertEqual(sum(sizes), size)
        _, uidls, _ = client.uidl()
        self.assertEqual(len({line.split()[1] for line in uidls}), 3)
        for number, subject in enumerate(subjects, 1):
            _, lines, octets = client.retr(number)
            self.assertIn(f"Subject: {subject}".encode(), lines)
            self.assertEqual(lines[-1], b"Hello.")
            self.assertEqual(sum(len(line) + 2 for line in lines), sizes[number - 1])
        _, top, _ = client.top(2, 0)
        self.assertIn(b"Subject: message 2", top)
        self.assertEqual(top[-1], b"")
        self.assertNotIn(b"Hello.", top)
        self.assertIn(b"signing off", client.quit())
        self.assertEqual(mailbox_count(self.tern, address), 3)

    def test_pop3s(self):
        address, subjects = self.new_user(2)
        client = self.ssl_client(address)
        self.assertEqual(client.stat()[0], 2)
        _, lines, _ = client.retr(2)
        self.assertIn(b"Subject: message 2", lines)
        client.quit()

    def test_auth_plain_with_initial_response(self):
        address, _ = self.new_user(1)
        raw = RawPop3(self.tern.ports["pop3s"], tls=True)
        token = base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode()
        self.assertTrue(raw.cmd(f"AUTH PLAIN {token}").startswith("+OK"))
        self.assertEqual(raw.cmd("STAT").split()[:2], ["+OK", "1"])
        self.assertTrue(raw.cmd("QUIT").startswith("+OK"))
        raw.close()

    def test_deletions_only_after_quit(self):
        address, _ = self.new_user(3)
        client = self.stls_client(address)
        _, before, _ = client.uidl()
        client.dele(1)
        client.rset()
        client.dele(2)
        self.assertEqual(client.stat()[0], 2)
        with self.assertRaises(poplib.error_proto):
            client.retr(2)
        self.assertEqual(mailbox_count(self.tern, address), 3)  # nothing removed before QUIT
        client.quit()
        self.assertEqual(mailbox_count(self.tern, address), 2)
        # The survivors keep their UIDL values; the numbers are dense again.
        client = self.ssl_client(address)
        _, after, _ = client.uidl()
        self.assertEqual([line.split()[1] for line in after],
                         [line.split()[1] for line in before if not line.startswith(b"2 ")])
        client.quit()

    def test_dropped_connection_removes_nothing(self):
        address, _ = self.new_user(2)
        client = self.stls_client(address)
        client.dele(1)
        client.dele(2)
        client.sock.shutdown(socket.SHUT_RDWR)  # no QUIT
        client.sock.close()
        time.sleep(0.5)
        self.assertEqual(mailbox_count(self.tern, address), 2)
        # The lock went with the connection: a new session may log in.
        client = self.ssl_client(address)
        self.assertEqual(client.stat()[0], 2)
        client.quit()

    def test_maildrop_in_use(self):
        address, _ = self.new_user(1)
        first = self.ssl_client(address)
        second = poplib.POP3_SSL("127.0.0.1", self.tern.ports["pop3s"], context=insecure_tls_context(), timeout=10)
        second.user(address)
        with self.assertRaises(poplib.error_proto) as refused:
            second.pass_(PASSWORD)
        self.assertTrue(refused.exception.args[0].startswith(b"-ERR [IN-USE]"))
        first.quit()
        second.user(address)
        second.pass_(PASSWORD)
        self.assertEqual(second.stat()[0], 1)
        second.quit()

    def test_wrong_password(self):
        address, _ = self.new_user()
        client = poplib.POP3_SSL("127.0.0.1", self.tern.ports["pop3s"], context=insecure_tls_context(), timeout=10)
        client.user(address)
        with self.assertRaises(poplib.error_proto) as refused:
            client.pass_("wrong")
        self.assertTrue(refused.exception.args[0].startswith(b"-ERR [AUTH]"))
        client.user("nobody@example.test")
        with self.assertRaises(poplib.error_proto) as refused:
            client.pass_("wrong")
        self.assertTrue(refused.exception.args[0].startswith(b"-ERR [AUTH]"))
        client.quit()

    def test_uidl_stable_and_new_messages_new_ids(self):
        address, _ = self.new_user(2)
        client = self.ssl_client(address)
        _, first, _ = client.uidl()
        client.quit()
        deliver_local(self.tern, address, ["late one"])
        client = self.ssl_client(address)
        _, second, _ = client.uidl()
        client.quit()
        self.assertEqual(second[:2], first)
        self.assertNotIn(second[2].split()[1], [line.split()[1] for line in first])

    def test_bad_input(self):
        raw = RawPop3(self.tern.ports["pop3s"], tls=True)
        self.assertEqual(raw.cmd("STAT"), "-ERR Not valid before login")
        self.assertEqual(raw.cmd("FROB"), "-ERR Unknown command")
        self.assertEqual(raw.cmd("NO\0OP"), "-ERR NUL characters are not allowed")
        self.assertEqual(raw.cmd("USER " + "x" * 300), "-ERR Line too long")
        self.assertEqual(raw.cmd("APOP a b"), "-ERR Unknown command")
        self.assertEqual(raw.cmd("CAPA").split()[0], "+OK")
        raw.multiline()
        for _ in range(4):
            self.assertTrue(raw.cmd("BAD").startswith("-ERR"))
        self.assertEqual(raw.cmd("BAD"), "-ERR Too many bad commands, closing connection")
        self.assertTrue(raw.closed())
        raw.close()

    def test_wrong_state_after_login(self):
        address, _ = self.new_user(1)
        raw = RawPop3(self.tern.ports["pop3s"], tls=True)
        raw.cmd(f"USER {address}")
        self.assertTrue(raw.cmd(f"PASS {PASSWORD}").startswith("+OK"))
        self.assertEqual(raw.cmd(f"USER {address}"), "-ERR Not valid after login")
        self.assertEqual(raw.cmd("RETR 2"), "-ERR No such message")
        # Pipelined commands answer in order.
        raw.send("NOOP\r\nLIST 1\r\nUIDL 1\r\nRETR 1\r\nQUIT\r\n")
        self.assertEqual(raw.line(), "+OK")
        self.assertTrue(raw.line().startswith("+OK 1 "))
        self.assertTrue(raw.line().startswith("+OK 1 "))
        self.assertTrue(raw.line().endswith("octets"))
        self.assertIn("Subject: message 1", raw.multiline())
        self.assertTrue(raw.line().startswith("+OK"))
        self.assertTrue(raw.closed())

    def test_idle_timeout_closes_without_removing(self):
        address, _ = self.new_user(1)
        raw = RawPop3(self.tern.ports["pop3s"], tls=True)
        raw.cmd(f"USER {address}")
        raw.cmd(f"PASS {PASSWORD}")
        self.assertTrue(raw.cmd("DELE 1").startswith("+OK"))
        self.assertTrue(raw.closed(timeout=10))  # RFC 1939 3: closed without a response
        self.assertEqual(mailbox_count(self.tern, address), 1)


class Pop3PlaintextLoopbackTest(unittest.TestCase):
    def test_user_pass_without_tls_when_allowed(self):
        tern = Tern(protocols=("smtp", "pop3"), extra="[auth]\nallow_plaintext_loopback = true\n")
        try:
            tern.add_user("carol@example.test", PASSWORD)
            tern.start()
            deliver_local(tern, "carol@example.test", ["plain"])
            client = poplib.POP3("127.0.0.1", tern.ports["pop3"], timeout=10)
            self.assertIn("USER", client.capa())
            client.user("carol@example.test")
            client.pass_(PASSWORD)
            self.assertEqual(client.stat()[0], 1)
            client.dele(1)
            client.quit()
            self.assertEqual(mailbox_count(tern, "carol@example.test"), 0)
            self.assertEqual(tern.stop(), 0)
        finally:
            tern.close()


if __name__ == "__main__":
    unittest.main()
