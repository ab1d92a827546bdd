// Tests of the SQLite back end's IMAP additions that need to look under the
// interface: the change hub fires only once the commit is visible to other
// connections, and schema migration 3 upgrades a version-2 database.
#include <sqlite3.h>

#include <atomic>

#include "mime/message.hpp"
#include "store/prepare_message.hpp"
#include "store/sqlite/operations.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

using sqlite::SqliteStore;

std::unique_ptr<SqliteStore> open_sqlite(const std::string& dir) {
  auto opened = SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir});
  if (!opened) throw std::runtime_error("open failed: " + opened.error().message);
  return std::move(opened).value();
}

// One integer read through a connection of its own: it sees committed data only.
std::int64_t committed_int(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t value = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

TEST(SqliteChangeHub, FiresOnlyAfterTheCommit) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("example.test"));
  Account alice = must(store->add_account("alice@example.test", "h"));
  Id inbox = must(store->find_mailbox(alice.id, "INBOX"))->id;
  std::string count_sql = "SELECT COUNT(*) FROM entries WHERE mailbox_id = " + std::to_string(inbox);

  std::atomic<std::int64_t> seen_by_other_connection{-1};
  auto subscription = store->change_hub().subscribe(inbox, [&](Id) {
    seen_by_other_connection = committed_int(store->path(), count_sql);
  });
  must(store->append(inbox, make_message("visible"), 0, {}));
  EXPECT_EQ(seen_by_other_connection.load(), 1) << "when the hub fires, the entry is committed and visible";
  store->close();
}

TEST(SqliteSchema, MigrationThreeUpgradesAVersionTwoDatabase) {
  TempDir dir;
  std::filesystem::create_directories(dir.path());
  const std::string path = dir.path() + "/tern.db";
  NewMessage old = prepare_message("From: old@example.test\r\nSubject: before IMAP\r\n\r\nold body\r\n", 1600000000);
  {
    auto opened = sqlite::Connection::open(path);
    ASSERT_TRUE(opened) << opened.error().message;
    sqlite::Connection& db = **opened;
    auto migrated = sqlite::migrate(db, sqlite::migrations().first(2));
    ASSERT_TRUE(migrated) << migrated.error().message;
    ASSERT_EQ(*migrated, 2);
    ASSERT_TRUE(db.exec("INSERT INTO domains (id, name, created) VALUES (1, 'example.test', 0);"
                        "INSERT INTO accounts (id, domain_id, address, password_hash, created) "
                        "VALUES (1, 1, 'old@example.test', 'h', 0);"
                        "INSERT INTO mailboxes (id, account_id, name, uidvalidity, uidnext, highestmodseq) "
                        "VALUES (1, 1, 'INBOX', 7, 2, 5);"));
    ASSERT_TRUE(db.execute("INSERT INTO messages (id, size, internal_date, header_size, date, subject, from_field, "
                           "sender, reply_to, to_field, cc, bcc, in_reply_to, message_id_field, data) "
                           "VALUES (1, ?1, 1600000000, 0, 0, '', '', '', '', '', '', '', '', '', ?2)",
                           old.data.size(), sqlite::Blob{old.data}));
    ASSERT_TRUE(db.exec("INSERT INTO entries (mailbox_id, uid, modseq, message_id) VALUES (1, 1, 5, 1);"));
  }

  auto store = open_sqlite(dir.path());
  EXPECT_EQ(committed_int(path, "PRAGMA user_version"), sqlite::latest_schema_version());
  // Migration four: what was stored before is not \Recent.
  EXPECT_EQ(must(store->find_mailbox(1, "INBOX"))->recent_uid, 1u);
  EXPECT_EQ(must(store->mailbox_status(1, 1)).recent, 0u);
  EXPECT_EQ(must(store->message_structure(1)), old.structure) << "computed for a message stored before version 3";
  auto structure = mime::deserialize(must(store->message_for_fetch(1)).structure);
  ASSERT_TRUE(structure.has_value());
  EXPECT_EQ(structure->size, old.data.size());

  auto changes = must(store->changes_since(1, 1, 0));
  ASSERT_EQ(changes.changed.size(), 1u);
  EXPECT_TRUE(changes.vanished_complete);
  EXPECT_EQ(must(store->expunge(1, {1})), std::vector<std::uint32_t>{1});
  EXPECT_EQ(must(store->changes_since(1, 1, 5)).vanished, std::vector<std::uint32_t>{1});
  Placement placed = must(store->append(1, prepare_message("Subject: new\r\n\r\nx\r\n", 0), 0, {}));
  EXPECT_EQ(placed.uid, 2u);
  store->close();
}

TEST(SqliteStore, VanishedUidsArePrunedAndSaySo) {
  TempDir dir;
  auto store = open_sqlite(dir.path());
  must(store->add_domain("example.test"));
  Account alice = must(store->add_account("alice@example.test", "h"));
  Id inbox = must(store->find_mailbox(alice.id, "INBOX"))->id;
  std::uint64_t start = must(store->find_mailbox(alice.id, "INBOX"))->highestmodseq;
  must(store->append(inbox, make_message("p"), 0, {}));
  must(store->expunge(inbox, {1}));
  std::uint64_t first_expunge = must(store->find_mailbox(alice.id, "INBOX"))->highestmodseq;
  // Past the limit the oldest expunges are forgotten; fill it in one write.
  {
    auto opened = sqlite::Connection::open(store->path());
    ASSERT_TRUE(opened);
    ASSERT_TRUE((*opened)->exec("BEGIN"));
    for (std::int64_t uid = 1000; uid < 1000 + sqlite::ops::vanished_limit; ++uid) {
      ASSERT_TRUE((*opened)->execute("INSERT INTO vanished (mailbox_id, uid, modseq) VALUES (?1, ?2, ?3)", inbox,
                                     uid, first_expunge + 1));
    }
    ASSERT_TRUE((*opened)->exec("COMMIT"));
  }
  must(store->append(inbox, make_message("q"), 0, {}));
  must(store->expunge(inbox, {2}));
  auto since_start = must(store->changes_since(alice.id, inbox, start));
  EXPECT_FALSE(since_start.vanished_complete) << "UID 1's expunge was pruned";
  auto since_first = must(store->changes_since(alice.id, inbox, first_expunge + 1));
  EXPECT_TRUE(since_first.vanished_complete);
  EXPECT_EQ(since_first.vanished, std::vector<std::uint32_t>{2});
  store->close();
}

}  // namespace
}  // namespace tern::store::testing
