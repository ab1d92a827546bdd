"""SIGTERM with IMAP clients connected: a session waiting for a command and
one in IDLE each get an untagged BYE at once (RFC 9051 7.1.5), and tern
exits 0 well within shutdown_grace."""
import socket
import time
import unittest

from harness import Tern


class ImapShutdown(unittest.TestCase):
    def test_idle_and_waiting_sessions_get_bye(self):
        tern = Tern(protocols=("imap",), extra='[limits]\nshutdown_grace = "10s"\n'
                                               '[auth]\nallow_plaintext_loopback = true\n')
        self.addCleanup(tern.close)
        tern.add_user("stay@example.test", "stay-password")
        tern.start()
        clients = []
        for idle in (False, True):
            s = socket.create_connection(("127.0.0.1", tern.ports["imap"]), timeout=10)
            self.addCleanup(s.close)
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"* OK"))
            s.sendall(b"a LOGIN stay@example.test stay-password\r\nb SELECT INBOX\r\n")
            line = f.readline()
            while not line.startswith(b"b "):
                line = f.readline()
            self.assertTrue(line.startswith(b"b OK"), line)
            if idle:
                s.sendall(b"c IDLE\r\n")
                self.assertEqual(f.readline(), b"+ idling\r\n")
            clients.append(f)
        started = time.monotonic()
        tern.send_sigterm()
        for f in clients:
            line = f.readline()
            self.assertTrue(line.startswith(b"* BYE"), line)
            self.assertEqual(f.read(), b"")
        self.assertEqual(tern.wait(timeout=15), 0)
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main()
