// `memsample`: samples the memory of process trees until SIGTERM, then writes
//   the peaks: the sum of Pss and of Rss (from /proc/PID/smaps_rollup) over
//   each root and all its descendants, and the number of processes then.
// `maildir-wait`: waits until Maildir folders hold a number of messages.
#include <dirent.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "common.hpp"
#include "net.hpp"

namespace bench {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Every process id with its parent's.
std::map<long, long> parents() {
  std::map<long, long> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    std::getline(in, stat);
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %ld", &state, &ppid) == 2) out[pid] = ppid;
  }
  ::closedir(d);
  return out;
}

void add_rollup(long pid, long& pss, long& rss) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  long value;
  while (in >> key) {
    if (key == "Rss:" && in >> value) rss += value;
    else if (key == "Pss:" && in >> value) pss += value;
    in.ignore(1 << 16, '\n');
  }
}

}  // namespace

int cmd_memsample(const Options& o) {
  auto out_path = o.str("out");
  auto roots = split_list(o.str("pids"));
  long interval = o.num("interval-ms", 200);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  long peak_pss = 0, peak_rss = 0, peak_procs = 0, samples = 0;
  while (!g_stop) {
    auto tree = parents();
    std::multimap<long, long> children;
    for (auto [pid, ppid] : tree) children.emplace(ppid, pid);
    std::set<long> group;
    std::vector<long> todo;
    for (auto& r : roots) todo.push_back(std::stol(r));
    while (!todo.empty()) {
      long p = todo.back();
      todo.pop_back();
      if (!tree.count(p) || !group.insert(p).second) continue;
      auto [lo, hi] = children.equal_range(p);
      for (auto it = lo; it != hi; ++it) todo.push_back(it->second);
    }
    long pss = 0, rss = 0;
    for (long p : group) add_rollup(p, pss, rss);
    peak_pss = std::max(peak_pss, pss);
    peak_rss = std::max(peak_rss, rss);
    peak_procs = std::max(peak_procs, static_cast<long>(group.size()));
    ++samples;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval));
  }
  std::ofstream out(out_path);
  out << "peak_pss_kb=" << peak_pss << " peak_rss_kb=" << peak_rss << " peak_processes=" << peak_procs
      << " samples=" << samples << "\n";
  return 0;
}

namespace {

long count_entries(const std::string& dir) {
  long n = 0;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

}  // namespace

// Counts the files in DIR/new and DIR/cur of each --dirs entry every 10 ms
// until the total reaches --count; prints the moment it did, in seconds since
// --since (a CLOCK_REALTIME epoch time with fractions, as `date +%s.%N`).
int cmd_maildir_wait(const Options& o) {
  auto dirs = split_list(o.str("dirs"));
  long want = o.num("count", 0);
  double timeout = o.real("timeout", 600);
  double since = o.real("since", 0);
  auto now_epoch = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  double give_up = now_epoch() + timeout;
  long have = 0;
  for (;;) {
    have = 0;
    for (auto& d : dirs) have += count_entries(d + "/new") + count_entries(d + "/cur");
    if (have >= want || now_epoch() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::printf("maildir count=%ld elapsed=%.3f\n", have, now_epoch() - since);
  return have >= want ? 0 : 1;
}

}  // namespace bench
