"""A tern under test: a private data dir and config on free loopback ports,
the CLI, and a running `tern serve` that is stopped (and checked to exit 0)
at the end."""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TERN = os.environ.get("TERN_BIN", os.path.join(os.path.dirname(__file__), "../../build/tern"))
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
DNSMASQ = shutil.which("dnsmasq", path=SEARCH_PATH)


def count_closed_by_server(sockets, within):
    """How many of SOCKETS the server closes within WITHIN seconds (reading
    and dropping whatever it says before it closes)."""
    deadline = time.monotonic() + within
    closed = 0
    for s in sockets:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while s.recv(65536):
                pass
            closed += 1
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
    return closed


_handed_out = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback port that nothing listens on, chosen outside the kernel's
    ephemeral range: a port the kernel handed out (bind to 0) can be taken
    again as the local port of any outgoing connection of the tests running
    in parallel before tern binds it, and tern's listen then fails."""
    low, high = _ephemeral_range()
    candidates = [(10000, low - 1)] if low > 12000 else [(high + 1, 65535)]
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(1000):
        first, last = candidates[0]
        port = rng.randint(first, last)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tern:
    def __init__(self, protocols=("smtp", "submission", "submissions"), extra="", hostname="mail.example.test",
                 bind=None):
        """`bind` maps a protocol to a fixed (host, port), e.g. {"smtp": ("127.0.0.2", 25)}; the
        others listen on free ports of 127.0.0.1. `extra` is TOML put before the listeners."""
        bind = dict(bind or {})
        self.dir = tempfile.TemporaryDirectory(prefix="tern-test-")
        self.root = self.dir.name
        self.hosts = {p: bind[p][0] if p in bind else "127.0.0.1" for p in protocols}
        self.ports = {p: bind[p][1] if p in bind else free_port() for p in protocols}
        self.config = os.path.join(self.root, "tern.toml")
        listeners = "".join(
            f'\n[[listen]]\nprotocol = "{p}"\naddress = "{self.hosts[p]}:{port}"\n'
            for p, port in self.ports.items())
        with open(self.config, "w") as f:
            f.write(f'hostname = "{hostname}"\ndata_dir = "data"\nlog_level = "debug"\n{extra}\n{listeners}')
        self.process = None
        self.log_path = os.path.join(self.root, "tern.log")

    def cli(self, *args, input=None, check=True):
        result = subprocess.run([TERN, "--config", self.config, *args], input=input, capture_output=True,
                                text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"tern {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def cli_bytes(self, *args):
        """Runs a verb and returns its stdout as bytes (message data is not always text)."""
        result = subprocess.run([TERN, "--config", self.config, *args], capture_output=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"tern {' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr.decode(errors='replace')}")
        return result.stdout

    def mailbox_counts(self, address):
        """{mailbox name: message count} from `mailbox list ADDRESS`."""
        counts = {}
        for line in self.cli("mailbox", "list", address).stdout.splitlines():
            fields = line.split()
            if not fields:
                continue
            for field in fields[1:]:
                if field.startswith("messages="):
                    counts[fields[0]] = int(field.split("=", 1)[1])
        return counts

    def wait_for_messages(self, address, count, mailbox="INBOX", timeout=30, poll=None):
        """Waits until the mailbox holds at least `count` messages and returns how many it holds.
        `poll`, when given, is called now and then while waiting (e.g. to nudge a peer's queue)."""
        deadline = time.time() + timeout
        last_poll = time.time()
        while True:
            n = self.mailbox_counts(address).get(mailbox, 0)
            if n >= count or time.time() > deadline:
                return n
            if poll is not None and time.time() - last_poll > 3:
                poll()
                last_poll = time.time()
            time.sleep(0.2)

    def fetch(self, address, uid, mailbox="INBOX"):
        """The stored message (bytes) with that UID."""
        return self.cli_bytes("mailbox", "fetch", address, mailbox, str(uid))

    def add_user(self, address, password):
        domain = address.split("@", 1)[1]
        if domain not in self.cli("domain", "list").stdout.split():
            self.cli("domain", "add", domain)
        self.cli("user", "add", address, "--password-stdin", input=password + "\n")

    def start(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([TERN, "--config", self.config, "serve"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        for protocol, port in self.ports.items():
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"tern exited {self.process.returncode}:\n{self.read_log()}")
                try:
                    socket.create_connection((self.hosts[protocol], port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise AssertionError("tern did not start listening:\n" + self.read_log())
                    time.sleep(0.05)
        # The sockets accept before the key pair and the store are ready; "started" comes after.
        while "event=started" not in self.read_log():
            if self.process.poll() is not None:
                raise AssertionError(f"tern exited {self.process.returncode}:\n{self.read_log()}")
            if time.time() > deadline:
                raise AssertionError("tern did not log event=started:\n" + self.read_log())
            time.sleep(0.05)
        return self

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, timeout=15):
        """SIGTERM, and the exit code (which a graceful stop makes 0)."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("tern did not stop within %ss of SIGTERM" % timeout)
        finally:
            self.log.close()
        self.process = None
        return code

    def send_sigterm(self):
        """SIGTERM without waiting (see wait())."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout=15):
        """Waits for the server to exit on its own; its exit code."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("tern did not exit within %ss" % timeout)
        self.log.close()
        self.process = None
        return code

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.log.close()
            self.process = None

    def close(self):
        self.kill()
        self.dir.cleanup()


# ---------------------------------------------------------------------------
# Helpers for the protocol tests (test_smtp_*.py). Additive only.

import smtplib  # noqa: E402
import ssl  # noqa: E402


def insecure_tls_context():
    """A client TLS context that accepts tern's generated self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def submit(tern, user, password, sender, recipients, raw):
    """Sends RAW on TERN's submission listener from SENDER to RECIPIENTS, after STARTTLS and AUTH as USER."""
    with smtplib.SMTP("127.0.0.1", tern.ports["submission"], timeout=20) as s:
        s.starttls(context=insecure_tls_context())
        s.login(user, password)
        s.sendmail(sender, list(recipients), raw)


def _mailboxes(tern, address):
    boxes = {}
    for line in tern.cli("mailbox", "list", address).stdout.splitlines():
        fields = line.split()
        if not fields:
            continue
        values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        boxes[fields[0]] = values
    return boxes


def mailbox_count(tern, address, mailbox="INBOX"):
    """Messages in ADDRESS's MAILBOX, from `tern mailbox list`."""
    return int(_mailboxes(tern, address)[mailbox]["messages"])


def fetch(tern, address, uid, mailbox="INBOX"):
    """The raw stored message (bytes), from `tern mailbox fetch`."""
    result = subprocess.run([TERN, "--config", tern.config, "mailbox", "fetch", address, mailbox, str(uid)],
                            capture_output=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"mailbox fetch {address} {mailbox} {uid} exited {result.returncode}: "
                             f"{result.stderr.decode(errors='replace')}")
    return result.stdout


def messages(tern, address, mailbox="INBOX"):
    """Every stored message of ADDRESS's MAILBOX (raw bytes), in UID order."""
    uidnext = int(_mailboxes(tern, address)[mailbox]["uidnext"])
    out = []
    for uid in range(1, uidnext):
        result = subprocess.run([TERN, "--config", tern.config, "mailbox", "fetch", address, mailbox, str(uid)],
                                capture_output=True, timeout=60)
        if result.returncode == 0:
            out.append(result.stdout)
    return out


def queue_ids(tern):
    """The ids of the queue entries, from `tern queue list`."""
    ids = []
    for line in tern.cli("queue", "list").stdout.splitlines():
        if line and not line[0].isspace() and line != "queue is empty":
            ids.append(line.split()[0])
    return ids


class RawSmtp:
    """A hand-driven SMTP connection: exact bytes out, replies parsed in."""

    def __init__(self, port, host="127.0.0.1", timeout=5, source_address=None, greeting=True):
        self.sock = socket.create_connection((host, port), timeout=timeout, source_address=source_address)
        self.buffer = b""
        if greeting:
            code, text = self.reply()
            if code != 220:
                raise AssertionError(f"greeting {code} {text!r}")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; unread {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", errors="replace")

    def reply(self):
        """One whole (possibly multi-line) reply: (code, text of all lines joined by newlines)."""
        lines = []
        while True:
            line = self._line()
            if not re.match(r"^\d{3}[ -]", line + " "):
                raise AssertionError(f"malformed reply line {line!r}")
            lines.append(line[4:])
            if len(line) < 4 or line[3] == " ":
                return int(line[:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        """True when the server closes the connection (EOF) within timeout, with nothing more to read."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return self.buffer == b""
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            return self.buffer == b""
        except socket.timeout:
            return False

    def starttls(self, context=None, server_hostname="mail.example.test"):
        """After a "220" to STARTTLS: the TLS handshake on the same connection."""
        if self.buffer:
            raise AssertionError(f"bytes after the STARTTLS reply: {self.buffer!r}")
        self.sock = (context or insecure_tls_context()).wrap_socket(self.sock, server_hostname=server_hostname)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Helpers for the POP3 tests (test_pop3*.py). Additive only.

def deliver_local(tern, recipient, subjects, sender="sender@origin.test", body="Hello.\r\n"):
    """Sends one message per subject to RECIPIENT over tern's "smtp" listener (one SMTP session)
    and waits until they are in the INBOX. Returns the subjects."""
    import smtplib
    with smtplib.SMTP("127.0.0.1", tern.ports["smtp"], local_hostname="client.origin.test", timeout=30) as s:
        for subject in subjects:
            message = (f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n"
                       f"Message-ID: <{subject.replace(' ', '.')}@origin.test>\r\n\r\n{body}")
            refused = s.sendmail(sender, [recipient], message.encode())
            if refused:
                raise AssertionError(f"refused: {refused}")
    return list(subjects)


class RawPop3:
    """A hand-driven POP3 connection: exact bytes out, response lines in."""

    def __init__(self, port, host="127.0.0.1", timeout=10, tls=False, greeting=True, source_address=None):
        self.sock = socket.create_connection((host, port), timeout=timeout, source_address=source_address)
        if tls:
            self.sock = insecure_tls_context().wrap_socket(self.sock, server_hostname="mail.example.test")
        self.buffer = b""
        if greeting:
            line = self.line()
            if not line.startswith("+OK"):
                raise AssertionError(f"greeting {line!r}")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; unread {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", errors="replace")

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.line()

    def multiline(self):
        """The lines of a multi-line response body up to the terminating ".", un-stuffed."""
        lines = []
        while True:
            line = self.line()
            if line == ".":
                return lines
            lines.append(line[1:] if line.startswith(".") else line)

    def closed(self, timeout=5):
        """True when the server closes the connection (EOF) within timeout, with nothing more to read."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return self.buffer == b""
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            return self.buffer == b""
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Dnsmasq:
    """A private DNS server (Debian's dnsmasq) on a free loopback port.
    `zones` maps a domain to (MX host, its address), or to None for a null MX
    (RFC 7505); `txt` maps a name to a TXT value (split into strings of at
    most 255 octets); names under `local_domains` that it does not know are
    answered NXDOMAIN, any other unknown name is refused."""

    def __init__(self, zones=None, txt=None, local_domains=()):
        self.port = free_port()
        args = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={self.port}", "--pid-file=",
                "--log-facility=-"]
        for domain, target in (zones or {}).items():
            if target is None:
                args.append(f"--mx-host={domain},.,0")
            else:
                host, address = target
                args += [f"--mx-host={domain},{host},10", f"--host-record={host},{address}"]
        for name, value in (txt or {}).items():
            args.append(f"--txt-record={name}," + ",".join(value[i:i + 255] for i in range(0, len(value), 255)))
        args += [f"--local=/{d}/" for d in local_domains]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        if self.process.poll() is not None:
            raise AssertionError(f"dnsmasq exited {self.process.returncode}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def use_dns(tern, dns, extra=""):
    """Points a tern that is not running yet at DNS (a Dnsmasq) for its lookups,
    with `extra` TOML tables after [dns]."""
    with open(tern.config) as f:
        config = f.read()
    with open(tern.config, "w") as f:
        f.write(config.replace('log_level = "debug"\n',
                               f'log_level = "debug"\n[dns]\nservers = ["127.0.0.1:{dns.port}"]\n{extra}', 1))


def dkim_records(tern, domain):
    """{"SELECTOR._domainkey.DOMAIN": TXT value} of the DKIM records `tern dns DOMAIN` prints."""
    records = {}
    for line in tern.cli("dns", domain).stdout.splitlines():
        m = re.match(r'^(\S+)\. TXT (.*)$', line)
        if m and "._domainkey." in m.group(1):
            records[m.group(1)] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
    return records

