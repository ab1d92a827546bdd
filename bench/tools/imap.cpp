// `imap`: N clients, each looping one realistic session until the deadline:
//   LOGIN, SELECT INBOX,
//   FETCH a window of 50 messages (FLAGS ENVELOPE BODYSTRUCTURE),
//   FETCH 3 whole messages (BODY.PEEK[]),
//   STORE +FLAGS / -FLAGS (\Flagged) on one message,
//   SEARCH UNSEEN, SEARCH SUBJECT <word>,
//   APPEND a 2-6 KB message, mark it \Deleted (UID STORE with the APPENDUID
//   of UIDPLUS, else found by UID SEARCH HEADER Message-ID), EXPUNGE,
//   LOGOUT.
// Only messages this workload appends are ever deleted, and they always come
// after the original ones, so sequence numbers 1..originals keep naming the
// same messages in every session. Each command's latency is the time from
// sending it to its tagged reply; the report gives per command the count,
// commands per second over the measured interval, p50 and p99. The wait from
// connect() to the greeting is reported on its own line: it is no command,
// but a server that queues new connections shows its load there. With
// --rate the clients hold their sessions to that many commands per second
// in all.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "common.hpp"
#include "corpus.hpp"
#include "net.hpp"

namespace bench {

namespace {

struct Stats {
  std::map<std::string, std::vector<double>> latencies;  // ms, by command name
  std::map<std::string, long> errors;
  std::vector<double> connects;  // ms from connect() to the greeting, not a command
};

class ImapClient {
 public:
  ImapClient(const Endpoint& server, const std::string& source) : conn_(server, source) {
    auto greeting = conn_.line();
    if (greeting.substr(0, 4) != "* OK") throw NetError("greeting: " + std::string(greeting));
  }

  // Sends one command (and, for APPEND, its literal after the continuation)
  // and reads up to its tagged reply. Untagged lines (literals left out) are
  // kept in `untagged`; the tagged line in `tagged`. True when it is OK.
  bool command(const std::string& text, const std::string* literal = nullptr) {
    std::string tag = "a" + std::to_string(++serial_);
    untagged.clear();
    conn_.send(tag + " " + text + "\r\n");
    if (literal) {
      for (;;) {
        std::string line = read_response();
        if (line.rfind("+", 0) == 0) break;
        if (line.rfind(tag + " ", 0) == 0) {  // refused before the literal
          tagged = line;
          return false;
        }
        untagged.push_back(std::move(line));
      }
      conn_.send(*literal);
      conn_.send("\r\n");
    }
    for (;;) {
      std::string line = read_response();
      if (line.rfind(tag + " ", 0) == 0) {
        tagged = line;
        return line.compare(tag.size() + 1, 2, "OK") == 0;
      }
      untagged.push_back(std::move(line));
    }
  }

  std::vector<std::string> untagged;
  std::string tagged;

 private:
  // One response line; literals inside it are read and left out, their
  // place marked by "{N}".
  std::string read_response() {
    std::string out(conn_.line());
    for (;;) {
      if (out.empty() || out.back() != '}') return out;
      auto open = out.rfind('{');
      if (open == std::string::npos) return out;
      std::string digits = out.substr(open + 1, out.size() - open - 2);
      if (!digits.empty() && digits.back() == '+') digits.pop_back();
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return out;
      conn_.bytes(std::stoul(digits));
      out += conn_.line();
    }
  }

  Conn conn_;
  unsigned long serial_ = 0;
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

long exists_of(const std::vector<std::string>& untagged) {
  long exists = -1;
  for (const auto& line : untagged) {
    auto pos = line.find(" EXISTS");
    if (line.rfind("* ", 0) == 0 && pos != std::string::npos) exists = std::stol(line.substr(2, pos - 2));
  }
  return exists;
}

// The UID from "[APPENDUID validity uid]" in a tagged OK, or 0.
unsigned long appenduid(const std::string& tagged) {
  auto pos = tagged.find("[APPENDUID ");
  if (pos == std::string::npos) return 0;
  auto space = tagged.find(' ', pos + 11);
  if (space == std::string::npos) return 0;
  return std::stoul(tagged.substr(space + 1));
}

unsigned long first_search_result(const std::vector<std::string>& untagged) {
  for (const auto& line : untagged)
    if (line.rfind("* SEARCH ", 0) == 0) return std::stoul(line.substr(9));
  return 0;
}

}  // namespace

int cmd_imap(const Options& o) {
  auto server = parse_endpoint(o.str("server"));
  auto users = split_list(o.str("users"));
  auto password = o.str("password");
  long clients = o.num("clients", 10);
  double duration = o.real("duration", 20);
  double warmup = o.real("warmup", 2);
  long originals = o.num("originals", 0);
  auto seed = static_cast<std::uint64_t>(o.num("seed", 7));
  // --rate R: offered load in commands per second over all clients (0: as
  // fast as the server answers). A client that finishes a session early
  // waits before the next one, so latencies can be compared at one load.
  double rate = o.real("rate", 0);
  double client_rate = rate > 0 ? rate / static_cast<double>(clients) : 0;

  auto start = Clock::now();
  auto measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  auto deadline = measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  std::vector<Stats> stats(static_cast<std::size_t>(clients));
  std::atomic<long> sessions{0}, failures{0};
  std::mutex err_mutex;

  std::vector<std::thread> threads;
  for (long t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto index = static_cast<std::size_t>(t);
      Rng rng(seed * 7919 + index);
      Stats& st = stats[index];
      const std::string& user = users[index % users.size()];
      unsigned long appended = 0;
      while (Clock::now() < deadline) {
        auto session_start = Clock::now();
        long commands = 0;
        try {
          auto c0 = Clock::now();
          ImapClient c(server, source_address(index));
          auto c1 = Clock::now();
          if (c0 >= measure_from && c1 <= deadline) st.connects.push_back(ms_between(c0, c1));
          auto timed = [&](const char* name, const std::string& text, const std::string* literal = nullptr) {
            auto t0 = Clock::now();
            ++commands;
            bool ok = c.command(text, literal);
            auto t1 = Clock::now();
            if (t0 >= measure_from && t1 <= deadline) {
              st.latencies[name].push_back(ms_between(t0, t1));
              if (!ok) ++st.errors[name];
            }
            if (!ok) throw NetError(std::string(name) + ": " + c.tagged);
          };
          timed("LOGIN", "LOGIN " + quoted(user) + " " + quoted(password));
          timed("SELECT", "SELECT INBOX");
          long exists = exists_of(c.untagged);
          long base = originals > 0 ? std::min(originals, exists) : exists;
          if (base < 1) throw NetError("empty INBOX for " + user);
          long window = std::min(50L, base);
          long lo = std::uniform_int_distribution<long>(1, base - window + 1)(rng);
          timed("FETCH meta", "FETCH " + std::to_string(lo) + ":" + std::to_string(lo + window - 1) +
                                  " (FLAGS ENVELOPE BODYSTRUCTURE)");
          for (int k = 0; k < 3; ++k) {
            long m = std::uniform_int_distribution<long>(1, base)(rng);
            timed("FETCH body", "FETCH " + std::to_string(m) + " BODY.PEEK[]");
          }
          long m = std::uniform_int_distribution<long>(1, base)(rng);
          timed("STORE", "STORE " + std::to_string(m) + " +FLAGS (\\Flagged)");
          timed("STORE", "STORE " + std::to_string(m) + " -FLAGS (\\Flagged)");
          timed("SEARCH", "SEARCH UNSEEN");
          timed("SEARCH", "SEARCH SUBJECT " + quoted(search_word(rng)));
          std::string id = "append." + std::to_string(t) + "." + std::to_string(++appended) + "@client.test";
          std::string message = make_append_message(rng, user, id);
          timed("APPEND", "APPEND INBOX (\\Seen) {" + std::to_string(message.size()) + "}", &message);
          unsigned long uid = appenduid(c.tagged);
          if (uid == 0) {
            timed("SEARCH", "UID SEARCH HEADER Message-ID " + quoted("<" + id + ">"));
            uid = first_search_result(c.untagged);
          }
          if (uid != 0) timed("STORE", "UID STORE " + std::to_string(uid) + " +FLAGS.SILENT (\\Deleted)");
          timed("EXPUNGE", "EXPUNGE");
          timed("LOGOUT", "LOGOUT");
          if (Clock::now() >= measure_from) ++sessions;
          if (client_rate > 0) {
            auto next = session_start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(static_cast<double>(commands) / client_rate));
            std::this_thread::sleep_until(std::min(next, deadline));
          }
        } catch (const std::exception& e) {
          ++failures;
          std::lock_guard lock(err_mutex);
          if (failures <= 5) std::fprintf(stderr, "imap %s: %s\n", user.c_str(), e.what());
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  Stats all;
  for (auto& s : stats) {
    all.connects.insert(all.connects.end(), s.connects.begin(), s.connects.end());
    for (auto& [name, v] : s.latencies) {
      auto& dst = all.latencies[name];
      dst.insert(dst.end(), v.begin(), v.end());
    }
    for (auto& [name, n] : s.errors) all.errors[name] += n;
  }
  long total = 0;
  std::vector<double> every;
  for (auto& [name, v] : all.latencies) {
    std::sort(v.begin(), v.end());
    total += static_cast<long>(v.size());
    every.insert(every.end(), v.begin(), v.end());
    std::printf("imap command=\"%s\" count=%zu per_s=%.1f p50_ms=%.3f p99_ms=%.3f errors=%ld\n", name.c_str(),
                v.size(), static_cast<double>(v.size()) / duration, percentile(v, 50), percentile(v, 99),
                all.errors[name]);
  }
  std::sort(every.begin(), every.end());
  std::printf("imap command=\"all\" count=%ld per_s=%.1f p50_ms=%.3f p99_ms=%.3f sessions=%ld failures=%ld "
              "client_cpu_s=%.2f wall_s=%.2f\n",
              total, static_cast<double>(total) / duration, percentile(every, 50), percentile(every, 99),
              sessions.load(), failures.load(), own_cpu_seconds(), ms_between(start, Clock::now()) / 1000);
  std::sort(all.connects.begin(), all.connects.end());
  std::printf("imap command=\"(connect to greeting)\" count=%zu per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n",
              all.connects.size(), static_cast<double>(all.connects.size()) / duration, percentile(all.connects, 50),
              percentile(all.connects, 99));
  return failures ? 1 : 0;
}

}  // namespace bench
