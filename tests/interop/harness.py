"""A tern under test: a private data dir and config on free loopback ports,
the CLI, and a running `tern serve` that is stopped (and checked to exit 0)
at the end."""
import os
import signal
import socket
import subprocess
import tempfile
import time

TERN = os.environ.get("TERN_BIN", os.path.join(os.path.dirname(__file__), "../../build/tern"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tern:
    def __init__(self, protocols=("smtp", "submission", "submissions"), extra="", hostname="mail.example.test"):
        self.dir = tempfile.TemporaryDirectory(prefix="tern-test-")
        self.root = self.dir.name
        self.ports = {p: free_port() for p in protocols}
        self.config = os.path.join(self.root, "tern.toml")
        listeners = "".join(
            f'\n[[listen]]\nprotocol = "{p}"\naddress = "127.0.0.1:{port}"\n' for p, port in self.ports.items())
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

    def add_user(self, address, password):
        domain = address.split("@", 1)[1]
        if domain not in self.cli("domain", "list").stdout.split():
            self.cli("domain", "add", domain)
        self.cli("user", "add", address, "--password-stdin", input=password + "\n")

    def start(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([TERN, "--config", self.config, "serve"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        for port in self.ports.values():
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"tern exited {self.process.returncode}:\n{self.read_log()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise AssertionError("tern did not start listening:\n" + self.read_log())
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

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.log.close()
            self.process = None

    def close(self):
        self.kill()
        self.dir.cleanup()
