// Tests of the SQLite back end itself: files and modes, schema migrations,
// group commit with a savepoint per job, and single storage of shared blobs.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

using sqlite::SqliteStore;

StoreOptions options_for(const std::string& backend, const std::string& dir) {
  StoreOptions options;
  options.backend = backend;
  options.data_dir = dir;
  return options;
}

std::unique_ptr<SqliteStore> open_sqlite(const std::string& dir) {
  auto opened = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir});
  if (!opened) throw std::runtime_error("open failed: " + opened.error().message);
  return std::move(opened).value();
}

// One integer from a raw connection, the way an operator's sqlite3 shell would see it.
std::int64_t query_int(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::int64_t value = -1;
  if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

TEST(SqliteStore, CreatesAPrivateDataDirectory) {
  TempDir dir;
  std::string nested = dir.path() + "/data/inner";
  auto store = open_sqlite(nested);
  EXPECT_EQ(store->path(), nested + "/tern.db");
  struct stat info {};
  ASSERT_EQ(::stat(nested.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(store->path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the database is readable by its owner only";
  store->close();
}

TEST(SqliteStore, OpenStoreChoosesTheBackEnd) {
  TempDir dir;
  auto postgres = open_store(options_for("postgres", dir.path()));
  ASSERT_FALSE(postgres);
  EXPECT_EQ(postgres.error().code, Errc::invalid);
  EXPECT_NE(postgres.error().message.find("not built in yet"), std::string::npos);

  auto unknown = open_store(options_for("mysql", dir.path()));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::invalid);

  auto no_dir = open_store(options_for("sqlite", ""));
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.error().code, Errc::invalid);

  std::string file = dir.path() + "-file";
  { std::ofstream(file) << "not a directory"; }
  auto not_dir = open_store(options_for("sqlite", file));
  std::filesystem::remove(file);
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().code, Errc::invalid);
}

TEST(SqliteSchema, FreshDatabaseIsAtTheLatestVersion) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  std::string path = store->path();
  EXPECT_EQ(query_int(path, "PRAGMA user_version"), sqlite::latest_schema_version());
  for (const char* table : {"domains", "accounts", "aliases", "alias_targets", "mailboxes", "messages", "entries",
                            "queue_entries", "queue_recipients"}) {
    EXPECT_EQ(query_int(path, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '") +
                                  table + "'"),
              1)
        << table;
  }
  EXPECT_GE(query_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"), 5);
  store->close();
  // Opening again applies nothing and keeps the version.
  store = open_sqlite(dir.path());
  store->close();
  EXPECT_EQ(query_int(path, "PRAGMA user_version"), sqlite::latest_schema_version());
}

TEST(SqliteSchema, OnlyMissingStepsRunAndAFailedStepIsUndone) {
  TempDir dir;
  std::filesystem::create_directories(dir.path());
  auto opened = sqlite::Connection::open(dir.path() + "/m.db");
  ASSERT_TRUE(opened) << opened.error().message;
  sqlite::Connection& db = **opened;

  const std::array<sqlite::Migration, 3> steps{{
      {"one", "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);"},
      {"two", "INSERT INTO t VALUES (2);"},
      {"broken", "INSERT INTO t VALUES (3); INSERT INTO no_such_table VALUES (4);"},
  }};
  auto first = sqlite::migrate(db, std::span(steps).first(1));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 1);
  auto second = sqlite::migrate(db, std::span(steps).first(2));
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 2);
  EXPECT_EQ(**db.scalar("SELECT SUM(a) FROM t"), 3) << "step one ran once, step two once";

  auto third = sqlite::migrate(db, steps);
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message.find("migration 3 (broken)"), std::string::npos) << third.error().message;
  EXPECT_EQ(**db.scalar("PRAGMA user_version"), 2);
  EXPECT_EQ(**db.scalar("SELECT SUM(a) FROM t"), 3) << "the failed step left nothing behind";
}

TEST(SqliteSchema, NewerDatabaseIsRefused) {
  TempDir dir;
  open_sqlite(dir.path())->close();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() + "/tern.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto refused = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir.path()});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_NE(refused.error().message.find("schema version 999"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("newer"), std::string::npos);
}

TEST(SqliteStore, ConcurrentWritersShareCommits) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("example.test"));
  Account alice = must(store->add_account("alice@example.test", "h"));
  auto before = store->stats();

  constexpr int threads = 8;
  constexpr int per_thread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      asio::io_context io;
      for (int i = 0; i < per_thread; ++i) {
        asio::co_spawn(
            io,
            [&, t, i]() -> asio::awaitable<void> {
              Delivery delivery;
              delivery.message = make_message("g" + std::to_string(t) + "-" + std::to_string(i));
              delivery.local = {LocalTarget{alice.id, "INBOX", 0}};
              if (!(co_await store->deliver(std::move(delivery)))) ++failures;
            },
            asio::detached);
      }
      io.run();
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(failures.load(), 0);

  auto after = store->stats();
  std::uint64_t jobs = after.jobs - before.jobs;
  std::uint64_t commits = after.commits - before.commits;
  EXPECT_EQ(jobs, static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_LT(commits, jobs) << "concurrent writes are grouped into shared transactions";
  EXPECT_GT(after.largest_batch, 1u);
  EXPECT_EQ(must(store->find_mailbox(alice.id, "INBOX"))->message_count,
            static_cast<std::uint32_t>(threads * per_thread));
  store->close();
}

TEST(SqliteStore, AFailingJobDoesNotSpoilItsBatch) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("seed.test"));

  // Hold the write lock from outside so that every job below queues up and
  // they all land in one batch once the lock is released.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(store->path().c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  std::atomic<int> succeeded{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> other{0};
  asio::io_context io;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          // Every second job adds a domain that already exists.
          std::string name = (i % 2 == 0) ? "seed.test" : "d" + std::to_string(i) + ".test";
          auto result = co_await store->add_domain(name);
          if (result) ++succeeded;
          else if (result.error().code == Errc::already_exists) ++duplicates;
          else ++other;
        },
        asio::detached);
  }
  std::thread runner([&] { io.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);
  runner.join();

  EXPECT_EQ(succeeded.load(), 10);
  EXPECT_EQ(duplicates.load(), 10);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(store->stats().largest_batch, 10u);
  EXPECT_EQ(must(store->list_domains()).size(), 11u);
  store->close();
}

TEST(SqliteStore, SharedBlobIsStoredOnce) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("example.test"));
  Delivery delivery;
  delivery.message = make_message("once", std::string(100000, 'x'));
  for (const char* name : {"a@example.test", "b@example.test", "c@example.test"}) {
    Account account = must(store->add_account(name, "h"));
    delivery.local.push_back(LocalTarget{account.id, "INBOX", 0});
  }
  DeliveryResult result = must(store->deliver(delivery));
  std::string path = store->path();
  EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM messages"), 1);
  EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM entries"), 3);

  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM messages"), 1) << "still referenced before expunge " << i;
    must(store->expunge(result.placed[i].mailbox_id, {result.placed[i].uid}));
  }
  EXPECT_EQ(query_int(path, "SELECT COUNT(*) FROM messages"), 0);
  store->close();
}

TEST(SqliteStore, FailedDeliveryLeavesNoBlob) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("example.test"));
  Account alice = must(store->add_account("alice@example.test", "h"));
  Delivery delivery;
  delivery.message = make_message("half");
  delivery.local = {LocalTarget{alice.id, "INBOX", 0}, LocalTarget{alice.id + 1000, "INBOX", 0}};
  EXPECT_EQ(must_fail(store->deliver(delivery)).code, Errc::not_found);
  EXPECT_EQ(query_int(store->path(), "SELECT COUNT(*) FROM messages"), 0);
  EXPECT_EQ(query_int(store->path(), "SELECT COUNT(*) FROM entries"), 0);
  EXPECT_EQ(query_int(store->path(), "SELECT uidnext FROM mailboxes WHERE name = 'INBOX'"), 1);
  store->close();
}

}  // namespace
}  // namespace tern::store::testing
