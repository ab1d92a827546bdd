// DESIGN.md rule 1 for the SQLite back end: a child process delivers mail and
// reports each acknowledged delivery through a pipe; it is killed with
// SIGKILL mid-way. Every acknowledged delivery must be there afterwards, and
// the database must pass SQLite's own integrity check.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

using sqlite::SqliteStore;

// Runs in the child: delivers until killed, writing "ID\n" after each success.
[[noreturn]] void deliver_until_killed(const std::string& dir, Id account_id, int ack_fd) {
  auto opened = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir});
  if (!opened) ::_exit(2);
  auto& store = **opened;
  asio::io_context io;
  for (int worker = 0; worker < 8; ++worker) {
    asio::co_spawn(
        io,
        [&, worker]() -> asio::awaitable<void> {
          for (int i = 0; i < 1000000; ++i) {
            std::string id = std::to_string(worker * 1000000 + i);
            Delivery delivery;
            delivery.message = make_message("crash-" + id);
            delivery.local = {LocalTarget{account_id, "INBOX", 0}};
            auto result = co_await store.deliver(std::move(delivery));
            if (!result) ::_exit(3);
            std::string line = id + "\n";
            // Short lines are written atomically to a pipe (PIPE_BUF).
            if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(4);
          }
        },
        asio::detached);
  }
  io.run();
  ::_exit(0);
}

std::string integrity_check(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "cannot open";
  sqlite3_stmt* statement = nullptr;
  std::string verdict = "no answer";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return verdict;
}

TEST(SqliteCrash, AcknowledgedDeliveriesSurviveSigkill) {
  TempDir dir;
  Id account_id = 0;
  {
    auto opened = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir.path()});
    ASSERT_TRUE(opened) << opened.error().message;
    must((*opened)->add_domain("example.test"));
    account_id = must((*opened)->add_account("alice@example.test", "h")).id;
    (*opened)->close();
  }

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    deliver_until_killed(dir.path(), account_id, fds[1]);
  }
  ::close(fds[1]);

  // Kill the child once it has acknowledged a good number of deliveries,
  // then collect whatever acknowledgements it sent before it died.
  std::string acks;
  std::size_t lines = 0;
  bool killed = false;
  char buffer[4096];
  while (true) {
    ssize_t got = ::read(fds[0], buffer, sizeof buffer);
    if (got <= 0) break;
    acks.append(buffer, static_cast<std::size_t>(got));
    lines += static_cast<std::size_t>(std::count(buffer, buffer + got, '\n'));
    if (!killed && lines >= 60) {
      ::kill(child, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(killed) << "the child stopped by itself, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status));

  std::set<std::string> acknowledged;
  std::istringstream in(acks);
  for (std::string id; std::getline(in, id);) acknowledged.insert("crash-" + id);
  ASSERT_GE(acknowledged.size(), 60u);

  EXPECT_EQ(integrity_check(dir.path() + "/tern.db"), "ok");
  auto opened = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir.path()});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& store = **opened;
  auto inbox = must(store.find_mailbox(account_id, "INBOX"));
  ASSERT_TRUE(inbox.has_value());
  std::set<std::string> present;
  for (const auto& entry : must(store.list_entries(inbox->id))) {
    present.insert(must(store.message_meta(entry.message_id)).subject);
  }
  for (const auto& subject : acknowledged) EXPECT_TRUE(present.count(subject)) << subject << " was acknowledged";
  EXPECT_EQ(inbox->message_count, present.size());
  EXPECT_EQ(integrity_check(dir.path() + "/tern.db"), "ok");
  store.close();
}

}  // namespace
}  // namespace tern::store::testing
