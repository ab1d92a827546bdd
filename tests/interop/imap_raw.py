"""A raw IMAP client for tests that need the exact bytes: sends a command as
given and returns the untagged responses (literals included) and the
tagged status line; plus a parser that turns a response into nested Python
values, so that answers can be compared whatever string form (quoted or
literal) the server chose (RFC 9051 4.3)."""
import re
import socket
import ssl


class RawImap:
    def __init__(self, port, host="127.0.0.1", tls=False, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock)
        self.buf = b""
        self.counter = 0
        self.greeting = self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """One response line with its literals."""
        out = b""
        while True:
            line = self.line()
            out += line
            m = re.search(rb"~?\{(\d+)\}\r\n$", line)
            if not m:
                return out
            out += self.read_exact(int(m.group(1)))

    def command(self, text, tag=None):
        """Sends `tag text` and returns (untagged bytes, tagged status line without tag and CRLF)."""
        self.counter += 1
        tag = tag or f"t{self.counter}"
        data = text.encode() if isinstance(text, str) else text
        self.send(tag.encode() + b" " + data + b"\r\n")
        untagged = b""
        while True:
            r = self.response()
            if r.startswith(tag.encode() + b" "):
                return untagged, r[len(tag) + 1:-2].decode(errors="replace")
            untagged += r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse(data):
    """Parses response bytes into nested lists: atoms as upper-cased str,
    strings as bytes, NIL as None."""
    pos = 0
    n = len(data)

    def value():
        nonlocal pos
        while pos < n and data[pos:pos + 1] in (b" ", b"\r", b"\n"):
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return items
                items.append(value())
        if c == b'"':
            pos += 1
            out = bytearray()
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            return bytes(out)
        if c in (b"{", b"~"):
            m = re.compile(rb"~?\{(\d+)\+?\}\r\n").match(data, pos)
            length = int(m.group(1))
            pos = m.end()
            out = data[pos:pos + length]
            pos += length
            return out
        m = re.compile(rb"[^ ()\r\n\[]+(\[[^\]]*\](<\d+>)?)?").match(data, pos)
        pos = m.end()
        atom = m.group(0).decode()
        return None if atom.upper() == "NIL" else atom.upper()

    items = []
    while pos < n:
        while pos < n and data[pos:pos + 1] in (b" ", b"\r", b"\n"):
            pos += 1
        if pos >= n:
            break
        items.append(value())
    return items


def fetch_items(response):
    """{item name: value} of one "* n FETCH (...)" response."""
    parsed = parse(response)
    assert parsed[0] == "*" and parsed[2] == "FETCH", parsed[:3]
    pairs = parsed[3]
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}
