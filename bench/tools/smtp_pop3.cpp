// `fill`: delivers a generated mailbox to each user over SMTP.
// `pop3`: the POP3 workload (login, STAT, UIDL, RETR all, QUIT).
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "common.hpp"
#include "corpus.hpp"
#include "net.hpp"

namespace bench {

namespace {

int smtp_reply(Conn& c) {
  for (;;) {
    auto line = c.line();
    if (line.size() < 3) throw NetError("short SMTP reply");
    if (line.size() < 4 || line[3] == ' ') return std::stoi(std::string(line.substr(0, 3)));
  }
}

void expect(Conn& c, int code, const char* what) {
  int got = smtp_reply(c);
  if (got != code) throw NetError(std::string(what) + ": expected " + std::to_string(code) + ", got " +
                                  std::to_string(got));
}

}  // namespace

// One SMTP session per user sends that user's messages.
int cmd_fill(const Options& o) {
  auto server = parse_endpoint(o.str("server"));
  auto users = split_list(o.str("users"));
  long per_user = o.num("per-user", 200);
  long sessions = o.num("sessions", 4);
  auto seed = static_cast<std::uint64_t>(o.num("seed", 1));
  std::atomic<std::size_t> next{0};
  std::atomic<long> sent{0}, bytes{0};
  std::atomic<bool> failed{false};
  std::mutex err_mutex;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (long t = 0; t < sessions; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (std::size_t u; (u = next++) < users.size();) {
          Rng rng(seed * 1000003 + u);  // the same mailbox for a user on every server
          Conn c(server, source_address(static_cast<std::size_t>(t)));
          expect(c, 220, "greeting");
          c.send("EHLO client.test\r\n");
          expect(c, 250, "EHLO");
          for (long i = 0; i < per_user; ++i) {
            std::string message = make_message(rng, "sender" + std::to_string(i % 7) + "@client.test", users[u],
                                               u * 1000000 + static_cast<std::uint64_t>(i));
            c.send("MAIL FROM:<sender@client.test>\r\nRCPT TO:<" + users[u] + ">\r\nDATA\r\n");
            expect(c, 250, "MAIL");
            expect(c, 250, "RCPT");
            expect(c, 354, "DATA");
            c.send(dot_stuff(message));
            expect(c, 250, "end of data");
            ++sent;
            bytes += static_cast<long>(message.size());
          }
          c.send("QUIT\r\n");
          smtp_reply(c);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(err_mutex);
        std::fprintf(stderr, "fill: %s\n", e.what());
        failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = ms_between(start, Clock::now()) / 1000;
  std::printf("fill messages=%ld bytes=%ld mean_size=%ld seconds=%.2f\n", sent.load(), bytes.load(),
              sent ? bytes.load() / sent.load() : 0, seconds);
  return failed ? 1 : 0;
}

namespace {

struct Pop3Counts {
  long sessions = 0, messages = 0, bytes = 0;
};

void pop3_ok(std::string_view line, const char* what) {
  if (line.substr(0, 3) != "+OK") throw NetError(std::string(what) + ": " + std::string(line));
}

// Reads a multi-line response body up to "."; returns its size in bytes.
long pop3_body(Conn& c) {
  long size = 0;
  for (;;) {
    auto line = c.line();
    if (line == ".") return size;
    size += static_cast<long>(line.size()) + 2;
  }
}

void pop3_session(const Endpoint& server, const std::string& source, const std::string& user,
                  const std::string& password, Pop3Counts& counts) {
  Conn c(server, source);
  pop3_ok(c.line(), "greeting");
  c.send("USER " + user + "\r\n");
  pop3_ok(c.line(), "USER");
  c.send("PASS " + password + "\r\n");
  pop3_ok(c.line(), "PASS");
  c.send("STAT\r\n");
  auto stat = c.line();
  pop3_ok(stat, "STAT");
  long n = std::stol(std::string(stat.substr(4)));
  c.send("UIDL\r\n");
  pop3_ok(c.line(), "UIDL");
  pop3_body(c);
  for (long i = 1; i <= n; ++i) {
    c.send("RETR " + std::to_string(i) + "\r\n");
    pop3_ok(c.line(), "RETR");
    counts.bytes += pop3_body(c);
    ++counts.messages;
  }
  c.send("QUIT\r\n");
  pop3_ok(c.line(), "QUIT");
  ++counts.sessions;
}

}  // namespace

// Client i serves users i, i+N, i+2N, ... so that no two clients share a
// maildrop (POP3 servers lock it), each looping over its users `rounds` times.
int cmd_pop3(const Options& o) {
  auto server = parse_endpoint(o.str("server"));
  auto users = split_list(o.str("users"));
  auto password = o.str("password");
  long clients = o.num("clients", 1);
  long rounds = o.num("rounds", 1);
  if (clients < 1 || static_cast<std::size_t>(clients) > users.size())
    throw std::invalid_argument("--clients must be between 1 and the number of users");
  std::vector<Pop3Counts> counts(static_cast<std::size_t>(clients));
  std::atomic<int> errors{0};
  std::mutex err_mutex;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (long t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      for (long r = 0; r < rounds; ++r) {
        for (std::size_t u = static_cast<std::size_t>(t); u < users.size(); u += static_cast<std::size_t>(clients)) {
          try {
            pop3_session(server, source_address(static_cast<std::size_t>(t)), users[u], password,
                         counts[static_cast<std::size_t>(t)]);
          } catch (const std::exception& e) {
            std::lock_guard lock(err_mutex);
            if (errors++ < 5) std::fprintf(stderr, "pop3 %s: %s\n", users[u].c_str(), e.what());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = ms_between(start, Clock::now()) / 1000;
  Pop3Counts total;
  for (auto& c : counts) {
    total.sessions += c.sessions;
    total.messages += c.messages;
    total.bytes += c.bytes;
  }
  std::printf("pop3 clients=%ld sessions=%ld messages=%ld bytes=%ld seconds=%.3f msgs_per_s=%.1f client_cpu_s=%.2f "
              "errors=%d\n",
              clients, total.sessions, total.messages, total.bytes, seconds,
              seconds > 0 ? static_cast<double>(total.messages) / seconds : 0.0, own_cpu_seconds(), errors.load());
  return errors ? 1 : 0;
}

}  // namespace bench
