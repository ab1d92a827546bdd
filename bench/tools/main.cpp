// benchtool: the load generators and probes that bench/run drives.
//   benchtool fill       --server H:P --users a,b --per-user N [--sessions K] [--seed S]
//   benchtool pop3       --server H:P --users a,b --password P [--clients N] [--rounds R]
//   benchtool imap       --server H:P --users a,b --password P [--clients N] [--duration S]
//                        [--warmup S] [--originals N]
//   benchtool idle       --server H:P --smtp H:P --users a,b --password P [--connections N]
//                        [--rounds R] [--server-pid PID]
//   benchtool memsample  --out FILE --pids P1,P2 [--interval-ms N]
//   benchtool maildir-wait --dirs D1,D2 --count N [--since EPOCH] [--timeout S]
#include <cstdio>
#include <cstring>
#include <exception>

#include "common.hpp"

namespace bench {
int cmd_fill(const Options&);
int cmd_pop3(const Options&);
int cmd_imap(const Options&);
int cmd_idle(const Options&);
int cmd_memsample(const Options&);
int cmd_maildir_wait(const Options&);
}  // namespace bench

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: benchtool fill|pop3|imap|idle|memsample|maildir-wait --option value...\n");
    return 2;
  }
  try {
    bench::Options options(argc, argv, 2);
    std::string verb = argv[1];
    if (verb == "fill") return bench::cmd_fill(options);
    if (verb == "pop3") return bench::cmd_pop3(options);
    if (verb == "imap") return bench::cmd_imap(options);
    if (verb == "idle") return bench::cmd_idle(options);
    if (verb == "memsample") return bench::cmd_memsample(options);
    if (verb == "maildir-wait") return bench::cmd_maildir_wait(options);
    std::fprintf(stderr, "benchtool: unknown verb %s\n", verb.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "benchtool: %s\n", e.what());
    return 1;
  }
}
