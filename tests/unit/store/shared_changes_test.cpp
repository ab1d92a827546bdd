// SharedChanges: sessions asking the same changes_since at once share one
// query, and an answer is never older than the notification that prompted
// the question.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "store/shared_changes.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

std::unique_ptr<sqlite::SqliteStore> open_sqlite(const std::string& dir) {
  auto opened = sqlite::SqliteStore::open(sqlite::SqliteOptions{.data_dir = dir});
  if (!opened) throw std::runtime_error("open failed: " + opened.error().message);
  return std::move(opened).value();
}

// A fresh store with alice@example.test and her empty INBOX.
struct AliceInbox {
  std::unique_ptr<sqlite::SqliteStore> store;
  Id account_id = 0;
  Id inbox = 0;
  std::uint64_t highestmodseq = 0;
};

AliceInbox alice_inbox(const TempDir& dir) {
  AliceInbox out{open_sqlite(dir.path())};
  must(out.store->add_domain("example.test"));
  out.account_id = must(out.store->add_account("alice@example.test", "h")).id;
  const auto inbox = must(out.store->find_mailbox(out.account_id, "INBOX"));
  out.inbox = inbox->id;
  out.highestmodseq = inbox->highestmodseq;
  return out;
}

TEST(SharedChanges, ManyAskersGetTheSameAnswer) {
  TempDir dir;
  AliceInbox mailbox = alice_inbox(dir);
  auto& store = mailbox.store;
  const Id alice_id = mailbox.account_id;
  const Id inbox = mailbox.inbox;
  const std::uint64_t before = mailbox.highestmodseq;
  must(store->append(inbox, make_message("one"), 0, {}));

  SharedChanges shared(*store);
  asio::io_context io;
  constexpr int askers = 200;
  std::atomic<int> answered{0};
  std::atomic<int> wrong{0};
  for (int i = 0; i < askers; ++i) {
    asio::co_spawn(
        asio::make_strand(io),
        [&]() -> asio::awaitable<void> {
          auto changes = co_await shared.changes_since(alice_id, inbox, before);
          if (!changes || changes->changed.size() != 1 || changes->changed[0].uid != 1) ++wrong;
          ++answered;
        },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), askers);
  EXPECT_EQ(wrong.load(), 0);
  store->close();
}

TEST(SharedChanges, AnAnswerIsNeverOlderThanTheNotification) {
  TempDir dir;
  AliceInbox mailbox = alice_inbox(dir);
  auto& store = mailbox.store;
  const Id alice_id = mailbox.account_id;
  const Id inbox = mailbox.inbox;
  const std::uint64_t before = mailbox.highestmodseq;

  SharedChanges shared(*store);
  // Each notification asks again, from the same MODSEQ, while earlier
  // questions may still be running: every answer given after the n-th
  // notification must hold at least n messages.
  constexpr int messages = 20;
  std::atomic<int> notified{0};
  std::atomic<int> stale{0};
  std::atomic<int> answered{0};
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  auto subscription = store->change_hub().subscribe(inbox, [&](Id) {
    const int seen = ++notified;
    asio::co_spawn(
        asio::make_strand(io),
        [&, seen]() -> asio::awaitable<void> {
          auto changes = co_await shared.changes_since(alice_id, inbox, before);
          if (!changes || changes->changed.size() < static_cast<std::size_t>(seen)) ++stale;
          ++answered;
        },
        asio::detached);
  });
  std::thread runner([&] { io.run(); });
  for (int i = 0; i < messages; ++i) must(store->append(inbox, make_message("m" + std::to_string(i)), 0, {}));
  while (answered.load() < messages) std::this_thread::yield();
  work.reset();
  runner.join();
  subscription.reset();
  EXPECT_EQ(stale.load(), 0);
  store->close();
}

}  // namespace
}  // namespace tern::store::testing
