#!/usr/bin/env python3
"""Hostile loads for bench/run, against tern or an incumbent on one port.

  hostile.py data   --server H:P --rcpt ADDRESS --sessions N --mib M [--hold S]
      N SMTP sessions each send M MiB of a message after DATA and never the
      final dot; all are held open for S seconds (the memory sampler's window),
      then dropped. Prints: hostile kind=data sessions=N sent_mib=TOTAL
  hostile.py append --server H:P --user U --password P --sessions N --mib M [--hold S]
      The same with IMAP: LOGIN, then APPEND of an M MiB literal that stops one
      octet short. Prints: hostile kind=append sessions=N sent_mib=TOTAL
  hostile.py flood  --server H:P --user U --password P --connections N --sources K
      N idle connections from K loopback addresses (127.0.1.1...), then a new
      client from 127.0.2.1 connects and logs in over IMAP; the time it waited.
      Prints: hostile kind=flood connections=N held=H served_ms=T (or served_ms=fail)

Each line is for bench/run to parse. Only the standard library is used.
"""
import argparse
import socket
import sys
import time

CHUNK = b"X" * 1022 + b"\r\n"  # 1 KiB message lines


def host_port(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def read_line(sock, buffer):
    while b"\r\n" not in buffer[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("closed")
        buffer[0] += chunk
    line, buffer[0] = buffer[0].split(b"\r\n", 1)
    return line


def smtp_reply(sock, buffer):
    while True:
        line = read_line(sock, buffer)
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3])


def open_data(server, rcpt):
    sock = socket.create_connection(server, timeout=60)
    buffer = [b""]
    if smtp_reply(sock, buffer) != 220:
        raise RuntimeError("no greeting")
    for command, expected in ((b"EHLO bench.hostile.test", 250), (b"MAIL FROM:<hostile@bench.test>", 250),
                              (b"RCPT TO:<" + rcpt.encode() + b">", 250), (b"DATA", 354)):
        sock.sendall(command + b"\r\n")
        code = smtp_reply(sock, buffer)
        if code != expected:
            raise RuntimeError(f"{command!r}: {code}")
    return sock


def open_append(server, user, password, size):
    sock = socket.create_connection(server, timeout=60)
    buffer = [b""]
    read_line(sock, buffer)  # greeting
    sock.sendall(f'a LOGIN "{user}" "{password}"\r\n'.encode())
    while not read_line(sock, buffer).startswith(b"a "):
        pass
    sock.sendall(b"b APPEND INBOX {%d}\r\n" % size)
    line = read_line(sock, buffer)
    if not line.startswith(b"+"):
        raise RuntimeError(f"APPEND refused: {line!r}")
    return sock


def send_body(sockets, mib, short=0):
    """Sends `mib` MiB to every socket, round robin, so that all grow together."""
    total = mib * 1024 * 1024 - short
    block = CHUNK * 64  # 64 KiB
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        for s in sockets:
            s.sendall(piece)
        sent += len(piece)
    return sent * len(sockets)


def run_unfinished(args, kind):
    server = host_port(args.server)
    size = args.mib * 1024 * 1024
    if kind == "data":
        sockets = [open_data(server, args.rcpt) for _ in range(args.sessions)]
        sent = send_body(sockets, args.mib)
    else:
        sockets = [open_append(server, args.user, args.password, size) for _ in range(args.sessions)]
        sent = send_body(sockets, args.mib, short=1)
    time.sleep(args.hold)
    for s in sockets:
        s.close()
    print(f"hostile kind={kind} sessions={args.sessions} sent_mib={sent / 1048576:.0f}", flush=True)


def run_flood(args):
    server = host_port(args.server)
    held = []
    for i in range(args.connections):
        source = f"127.0.1.{i % args.sources + 1}"
        try:
            held.append(socket.create_connection(server, timeout=5, source_address=(source, 0)))
        except OSError:
            pass
    time.sleep(1)  # every flood connection is waiting now
    started = time.monotonic()
    served = "fail"
    try:
        sock = socket.create_connection(server, timeout=30, source_address=("127.0.2.1", 0))
        buffer = [b""]
        greeting = read_line(sock, buffer)
        if greeting.startswith(b"* OK"):
            sock.sendall(f'a LOGIN "{args.user}" "{args.password}"\r\n'.encode())
            while True:
                line = read_line(sock, buffer)
                if line.startswith(b"a "):
                    if line.startswith(b"a OK"):
                        served = f"{(time.monotonic() - started) * 1000:.1f}"
                    break
        sock.close()
    except (OSError, EOFError):
        pass
    for s in held:
        s.close()
    print(f"hostile kind=flood connections={args.connections} held={len(held)} served_ms={served}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["data", "append", "flood"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--rcpt")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--mib", type=int, default=45)
    parser.add_argument("--hold", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--sources", type=int, default=21)
    args = parser.parse_args()
    if args.kind == "flood":
        run_flood(args)
    else:
        run_unfinished(args, args.kind)


if __name__ == "__main__":
    sys.exit(main())
