// `idle`: the scale test. Opens N IMAP connections (spread over the users and
// over 250 loopback source addresses), each doing LOGIN, SELECT INBOX, IDLE;
// then, `rounds` times, delivers one message addressed to every user over
// SMTP and measures, for each connection, the time from the end of the
// message data to the "* n EXISTS" that IDLE pushes. One thread, epoll.
// With --server-pid it also reports the server's RSS once all are idle and
// after the deliveries.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common.hpp"
#include "net.hpp"

namespace bench {

namespace {

enum class State { greeting, login, select, idle_wait, idle, dead };

struct Client {
  int fd = -1;
  State state = State::greeting;
  std::string buffer;
  std::size_t user = 0;
  long exists = 0;
  bool awaiting = false;
  Clock::time_point arrival;
};

long rss_kb(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

long exists_in(const std::string& line) {
  auto pos = line.find(" EXISTS");
  if (line.rfind("* ", 0) != 0 || pos == std::string::npos) return -1;
  try {
    return std::stol(line.substr(2, pos - 2));
  } catch (...) {
    return -1;
  }
}

void send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) off += static_cast<std::size_t>(n);
    else if (n < 0 && (errno == EAGAIN || errno == EINTR)) std::this_thread::yield();
    else throw NetError("send failed");
  }
}

int smtp_code(Conn& c) {
  for (;;) {
    auto line = c.line();
    if (line.size() < 4 || line[3] == ' ') return std::stoi(std::string(line.substr(0, 3)));
  }
}

// Sends one message to every user; returns the time just before the end of
// the data went out.
Clock::time_point deliver(const Endpoint& smtp, const std::vector<std::string>& users, int round) {
  Conn c(smtp);
  if (smtp_code(c) != 220) throw NetError("SMTP greeting");
  c.send("EHLO client.test\r\n");
  smtp_code(c);
  c.send("MAIL FROM:<idle-probe@client.test>\r\n");
  if (smtp_code(c) != 250) throw NetError("MAIL refused");
  for (const auto& u : users) {
    c.send("RCPT TO:<" + u + ">\r\n");
    if (smtp_code(c) != 250) throw NetError("RCPT refused for " + u);
  }
  c.send("DATA\r\n");
  if (smtp_code(c) != 354) throw NetError("DATA refused");
  c.send("From: <idle-probe@client.test>\r\nTo: <everyone@bench.test>\r\nSubject: idle probe " +
         std::to_string(round) + "\r\nMessage-ID: <idle." + std::to_string(round) + "." +
         std::to_string(::getpid()) + "@client.test>\r\n\r\nA new message for every connection in IDLE.\r\n");
  auto t0 = Clock::now();
  c.send(".\r\n");
  if (smtp_code(c) != 250) throw NetError("message refused");
  c.send("QUIT\r\n");
  return t0;
}

}  // namespace

int cmd_idle(const Options& o) {
  auto server = parse_endpoint(o.str("server"));
  auto smtp = parse_endpoint(o.str("smtp"));
  auto users = split_list(o.str("users"));
  auto password = o.str("password");
  long total = o.num("connections", 10000);
  long rounds = o.num("rounds", 5);
  long inflight_max = o.num("inflight", 100);
  double setup_timeout = o.real("setup-timeout", 300);
  double round_timeout = o.real("round-timeout", 10);
  long server_pid = o.num("server-pid", 0);

  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);

  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Client> clients(static_cast<std::size_t>(total));
  long opened = 0, pending = 0, idle = 0, failed = 0;
  std::atomic<bool> in_round{false};

  auto kill = [&](Client& c) {
    if (c.state == State::dead) return;
    if (c.state != State::idle) --pending;
    else --idle;
    c.state = State::dead;
    ::close(c.fd);
    ++failed;
  };
  auto on_line = [&](Client& c, const std::string& line) {
    switch (c.state) {
      case State::greeting:
        if (line.rfind("* OK", 0) != 0) return kill(c);
        send_all(c.fd, "a1 LOGIN \"" + users[c.user] + "\" \"" + password + "\"\r\n");
        c.state = State::login;
        break;
      case State::login:
        if (line.rfind("a1 ", 0) == 0) {
          if (line.compare(3, 2, "OK") != 0) return kill(c);
          send_all(c.fd, "a2 SELECT INBOX\r\n");
          c.state = State::select;
        }
        break;
      case State::select:
        if (long n = exists_in(line); n >= 0) c.exists = n;
        if (line.rfind("a2 ", 0) == 0) {
          if (line.compare(3, 2, "OK") != 0) return kill(c);
          send_all(c.fd, "a3 IDLE\r\n");
          c.state = State::idle_wait;
        }
        break;
      case State::idle_wait:
        if (line.rfind("+", 0) == 0) {
          c.state = State::idle;
          --pending;
          ++idle;
        } else if (long n = exists_in(line); n >= 0) {
          c.exists = n;
        }
        break;
      case State::idle:
        if (long n = exists_in(line); n > c.exists) {
          c.exists = n;
          if (c.awaiting) {
            c.awaiting = false;
            c.arrival = Clock::now();
          }
        }
        break;
      case State::dead: break;
    }
  };
  std::vector<epoll_event> events(1024);
  auto poll_once = [&](int timeout_ms) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      Client& c = clients[events[static_cast<std::size_t>(i)].data.u64];
      if (c.state == State::dead) continue;
      char buf[16384];
      for (;;) {
        ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
        if (got > 0) {
          c.buffer.append(buf, static_cast<std::size_t>(got));
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) kill(c);
        break;
      }
      std::size_t start = 0;
      for (std::size_t nl; c.state != State::dead && (nl = c.buffer.find('\n', start)) != std::string::npos;
           start = nl + 1) {
        std::size_t end = nl > start && c.buffer[nl - 1] == '\r' ? nl - 1 : nl;
        try {
          on_line(c, c.buffer.substr(start, end - start));
        } catch (const std::exception&) {
          kill(c);
        }
      }
      if (c.state != State::dead) c.buffer.erase(0, start);
    }
  };

  auto setup_start = Clock::now();
  auto setup_deadline = setup_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(setup_timeout));
  while ((opened < total || pending > 0) && Clock::now() < setup_deadline) {
    while (opened < total && pending < inflight_max) {
      auto index = static_cast<std::size_t>(opened++);
      Client& c = clients[index];
      c.user = index % users.size();
      try {
        auto conn = std::make_unique<Conn>(server, source_address(index), 30);
        c.fd = ::dup(conn->fd());
      } catch (const std::exception& e) {
        if (failed++ < 3) std::fprintf(stderr, "idle: %s\n", e.what());
        c.state = State::dead;
        continue;
      }
      ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = index;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
      ++pending;
    }
    poll_once(50);
  }
  double setup_seconds = ms_between(setup_start, Clock::now()) / 1000;
  std::fprintf(stderr, "idle: %ld of %ld connections in IDLE after %.1f s (%ld failed)\n", idle, total, setup_seconds,
               failed);
  // Let the server settle, then read its memory.
  for (auto settle = Clock::now() + std::chrono::seconds(2); Clock::now() < settle;) poll_once(50);
  long rss_idle = server_pid ? rss_kb(server_pid) : 0;

  std::vector<double> latencies;
  long missed = 0;
  for (long r = 0; r < rounds && idle > 0; ++r) {
    for (auto& c : clients)
      if (c.state == State::idle) c.awaiting = true;
    Clock::time_point t0{};
    std::atomic<bool> sent{false};
    std::string error;
    std::thread sender([&] {
      try {
        t0 = deliver(smtp, users, static_cast<int>(r));
      } catch (const std::exception& e) {
        error = e.what();
      }
      sent = true;
    });
    auto limit_time = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(round_timeout));
    for (;;) {
      poll_once(20);
      bool all = std::none_of(clients.begin(), clients.end(),
                              [](const Client& c) { return c.state == State::idle && c.awaiting; });
      if ((all && sent) || Clock::now() > limit_time) break;
    }
    sender.join();
    if (!error.empty()) {
      std::fprintf(stderr, "idle: delivery failed: %s\n", error.c_str());
      break;
    }
    for (auto& c : clients) {
      if (c.state != State::idle) continue;
      if (c.awaiting) {
        ++missed;
        c.awaiting = false;
      } else {
        latencies.push_back(ms_between(t0, c.arrival));
      }
    }
    for (auto pause = Clock::now() + std::chrono::milliseconds(500); Clock::now() < pause;) poll_once(50);
  }
  long rss_after = server_pid ? rss_kb(server_pid) : 0;
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "idle connections=%ld in_idle=%ld setup_s=%.1f rss_idle_kb=%ld rss_after_kb=%ld rounds=%ld samples=%zu "
      "missed=%ld p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
      total, idle, setup_seconds, rss_idle, rss_after, rounds, latencies.size(), missed, percentile(latencies, 50),
      percentile(latencies, 99), latencies.empty() ? 0.0 : latencies.back());
  for (auto& c : clients)
    if (c.state != State::dead) ::close(c.fd);
  ::close(ep);
  return idle == total && missed == 0 ? 0 : 1;
}

}  // namespace bench
