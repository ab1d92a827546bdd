// Shared store suite: the outbound queue, persistence across a reopen, and
// many writers at once.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <set>
#include <thread>

#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

OutboundSpec outbound_to(std::vector<std::string> addresses) {
  OutboundSpec spec;
  spec.sender = "alice@example.test";
  for (auto& address : addresses) {
    QueueRecipient recipient;
    recipient.address = std::move(address);
    spec.recipients.push_back(std::move(recipient));
  }
  return spec;
}

TEST_P(StoreTest, OutboundDeliveryIsQueuedWithItsEnvelope) {
  auto [alice, bob] = add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("outbound");
  delivery.local = {LocalTarget{alice.id, "Sent", flag::seen}};
  delivery.outbound = outbound_to({"x@remote.test", "y@remote.test"});
  delivery.outbound->recipients[0].orcpt = "rfc822;x@remote.test";
  delivery.outbound->recipients[0].notify = notify::failure | notify::delay;
  delivery.outbound->envid = "ENV1";
  delivery.outbound->ret = "HDRS";
  delivery.outbound->smtputf8 = true;
  delivery.outbound->eight_bit = true;
  delivery.outbound->auth_user = "alice@example.test";
  DeliveryResult result = must(store().deliver(delivery));
  ASSERT_TRUE(result.queue_id.has_value());
  ASSERT_EQ(result.placed.size(), 1u);

  auto queued = must(store().queue_list());
  ASSERT_EQ(queued.size(), 1u);
  const QueueEntry& entry = queued[0];
  EXPECT_EQ(entry.id, *result.queue_id);
  EXPECT_EQ(entry.message_id, result.message_id);
  EXPECT_EQ(entry.size, delivery.message.data.size());
  EXPECT_EQ(entry.spec.sender, "alice@example.test");
  EXPECT_EQ(entry.spec.envid, "ENV1");
  EXPECT_EQ(entry.spec.ret, "HDRS");
  EXPECT_TRUE(entry.spec.smtputf8);
  EXPECT_TRUE(entry.spec.eight_bit);
  EXPECT_EQ(entry.spec.auth_user, "alice@example.test");
  EXPECT_EQ(entry.attempts, 0u);
  EXPECT_GT(entry.created, 0);
  EXPECT_EQ(entry.next_attempt, entry.created) << "a new entry is due at once";
  ASSERT_EQ(entry.spec.recipients.size(), 2u);
  EXPECT_EQ(entry.spec.recipients[0].address, "x@remote.test");
  EXPECT_EQ(entry.spec.recipients[0].orcpt, "rfc822;x@remote.test");
  EXPECT_EQ(entry.spec.recipients[0].notify, notify::failure | notify::delay);
  EXPECT_EQ(entry.spec.recipients[0].state, RecipientState::pending);
  EXPECT_EQ(entry.spec.recipients[1].address, "y@remote.test");

  auto got = must(store().queue_get(entry.id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->spec.recipients.size(), 2u);
  EXPECT_FALSE(must(store().queue_get(entry.id + 100)).has_value());
}

TEST_P(StoreTest, QueueOnlyDeliveryKeepsTheBlobUntilRemoved) {
  add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("relay");
  delivery.outbound = outbound_to({"far@remote.test"});
  DeliveryResult result = must(store().deliver(delivery));
  ASSERT_TRUE(result.queue_id.has_value());
  EXPECT_TRUE(result.placed.empty());
  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);

  must(store().queue_remove(*result.queue_id));
  EXPECT_TRUE(must(store().queue_list()).empty());
  EXPECT_EQ(must_fail(store().read_message(result.message_id)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().queue_remove(*result.queue_id)).code, Errc::not_found);
}

TEST_P(StoreTest, QueueBlobSharedWithAMailboxSurvivesEitherRemoval) {
  auto [alice, bob] = add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("both");
  delivery.local = {LocalTarget{alice.id, "Sent", 0}};
  delivery.outbound = outbound_to({"far@remote.test"});
  DeliveryResult result = must(store().deliver(delivery));
  must(store().queue_remove(*result.queue_id));
  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);
  must(store().expunge(result.placed[0].mailbox_id, {result.placed[0].uid}));
  EXPECT_EQ(must_fail(store().read_message(result.message_id)).code, Errc::not_found);
}

TEST_P(StoreTest, QueueRetryMakesEntriesDue) {
  add_example_accounts();
  std::vector<Id> ids;
  for (int i = 0; i < 3; ++i) {
    Delivery delivery;
    delivery.message = make_message("q" + std::to_string(i));
    delivery.outbound = outbound_to({"far@remote.test"});
    ids.push_back(*must(store().deliver(delivery)).queue_id);
  }
  EXPECT_EQ(must(store().queue_retry(ids[1], 5000)), 1u);
  EXPECT_EQ(must(store().queue_get(ids[1]))->next_attempt, 5000);
  EXPECT_EQ(must(store().queue_list()).front().id, ids[1]) << "listed in order of the next attempt";
  EXPECT_EQ(must(store().queue_retry(std::nullopt, 6000)), 3u);
  for (Id id : ids) EXPECT_EQ(must(store().queue_get(id))->next_attempt, 6000);
  EXPECT_EQ(must_fail(store().queue_retry(Id{987654}, 1)).code, Errc::not_found);
}

TEST_P(StoreTest, QueueClaimLeasesDueEntriesToOneOwner) {
  add_example_accounts();
  std::vector<Id> ids;
  for (int i = 0; i < 3; ++i) {
    Delivery delivery;
    delivery.message = make_message("c" + std::to_string(i));
    delivery.outbound = outbound_to({"far@remote.test"});
    ids.push_back(*must(store().deliver(delivery)).queue_id);
  }
  must(store().queue_retry(ids[2], 1000));
  must(store().queue_retry(ids[0], 2000));
  must(store().queue_retry(ids[1], 9000));  // not due yet at 5000

  auto first = must(store().queue_claim("node-a", 5000, 5600, 10));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, ids[2]) << "oldest due first";
  EXPECT_EQ(first[1].id, ids[0]);
  EXPECT_EQ(first[0].lease_owner, "node-a");
  EXPECT_EQ(first[0].lease_until, 5600);
  EXPECT_EQ(first[0].spec.recipients.size(), 1u);
  EXPECT_TRUE(must(store().queue_claim("node-b", 5000, 5600, 10)).empty()) << "leased entries are not taken twice";
  // A lease that ran out (a crashed node) is taken over.
  auto later = must(store().queue_claim("node-b", 10000, 10600, 1));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].id, ids[2]);
  EXPECT_EQ(later[0].lease_owner, "node-b");

  // Releasing a node's leases (a restart) makes its entries available again.
  EXPECT_EQ(must(store().queue_release("node-a")), 1u);  // ids[0]; ids[2] went to node-b
  auto again = must(store().queue_claim("node-a", 10000, 10600, 10));
  std::set<Id> claimed;
  for (const auto& e : again) claimed.insert(e.id);
  EXPECT_EQ(claimed, (std::set<Id>{ids[0], ids[1]}));
  EXPECT_EQ(must_fail(store().queue_claim("", 1, 2, 1)).code, Errc::invalid);
}

TEST_P(StoreTest, QueueRecordAttemptReschedulesAndFinishes) {
  auto [alice, bob] = add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("attempt");
  delivery.outbound = outbound_to({"x@remote.test", "y@remote.test"});
  Id id = *must(store().deliver(delivery)).queue_id;
  auto claimed = must(store().queue_claim("n", 100000000000, 100000000600, 5));
  ASSERT_EQ(claimed.size(), 1u);

  QueueAttempt attempt;
  attempt.id = id;
  attempt.owner = "other";
  attempt.recipients = claimed[0].spec.recipients;
  EXPECT_EQ(must_fail(store().queue_record_attempt(attempt)).code, Errc::conflict) << "only the lease holder records";

  attempt.owner = "n";
  attempt.recipients[0].state = RecipientState::delivered;
  attempt.recipients[0].last_reply = "250 2.0.0 ok";
  attempt.recipients[1].last_reply = "451 4.3.0 later";
  attempt.attempts = 1;
  attempt.next_attempt = 4242;
  attempt.last_error = "451 4.3.0 later";
  attempt.warned = true;
  // A delay warning to a local sender lands in the same transaction.
  Delivery notice;
  notice.message = make_message("warning");
  notice.local = {LocalTarget{alice.id, "INBOX", 0}};
  attempt.notices.push_back(notice);
  must(store().queue_record_attempt(attempt));

  auto entry = must(store().queue_get(id));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->attempts, 1u);
  EXPECT_EQ(entry->next_attempt, 4242);
  EXPECT_EQ(entry->last_error, "451 4.3.0 later");
  EXPECT_TRUE(entry->warned);
  EXPECT_EQ(entry->lease_owner, "") << "the lease ends with the attempt";
  EXPECT_EQ(entry->spec.recipients[0].state, RecipientState::delivered);
  EXPECT_EQ(entry->spec.recipients[0].last_reply, "250 2.0.0 ok");
  EXPECT_EQ(entry->spec.recipients[1].state, RecipientState::pending);
  EXPECT_EQ(must(store().list_entries(mailbox_id(alice.id, "INBOX"))).size(), 1u);

  // The last pending recipient fails: the entry (and its blob) go.
  claimed = must(store().queue_claim("n", 5000, 5600, 5));
  ASSERT_EQ(claimed.size(), 1u);
  attempt.notices.clear();
  attempt.recipients = claimed[0].spec.recipients;
  attempt.recipients[1].state = RecipientState::failed;
  attempt.recipients[1].last_reply = "550 5.1.1 no";
  must(store().queue_record_attempt(attempt));
  EXPECT_FALSE(must(store().queue_get(id)).has_value());
  EXPECT_EQ(must_fail(store().read_message(claimed[0].message_id)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().queue_record_attempt(attempt)).code, Errc::not_found);
}

TEST_P(StoreTest, QueueRecordAttemptWithAFailingNoticeChangesNothing) {
  add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("atomic");
  delivery.outbound = outbound_to({"x@remote.test"});
  Id id = *must(store().deliver(delivery)).queue_id;
  auto claimed = must(store().queue_claim("n", 100000000000, 100000000600, 5));
  QueueAttempt attempt;
  attempt.id = id;
  attempt.owner = "n";
  attempt.recipients = claimed.at(0).spec.recipients;
  attempt.recipients[0].state = RecipientState::failed;
  Delivery notice;
  notice.message = make_message("bounce");
  notice.local = {LocalTarget{987654, "INBOX", 0}};  // no such account
  attempt.notices.push_back(notice);
  EXPECT_FALSE(run_blocking(store().queue_record_attempt(attempt)).ok());
  auto entry = must(store().queue_get(id));
  ASSERT_TRUE(entry.has_value()) << "nothing of the attempt was recorded";
  EXPECT_EQ(entry->spec.recipients[0].state, RecipientState::pending);
  EXPECT_EQ(entry->lease_owner, "n");
}

TEST_P(StoreTest, EverythingSurvivesAReopen) {
  auto [alice, bob] = add_example_accounts();
  must(store().add_alias("team@example.test", {"alice@example.test", "bob@example.test"}));
  Mailbox custom = must(store().create_mailbox(alice.id, "Projects", ""));
  Delivery delivery;
  delivery.message = make_message("kept");
  delivery.local = {LocalTarget{alice.id, "Projects", flag::seen}};
  delivery.outbound = outbound_to({"far@remote.test"});
  DeliveryResult result = must(store().deliver(delivery));
  auto flagged = must(store().store_flags(custom.id, {1}, FlagMode::add, flag::flagged, {"$Kept"}));

  reopen();

  EXPECT_EQ(must(store().list_domains()).size(), 1u);
  EXPECT_EQ(must(store().list_accounts()).size(), 2u);
  EXPECT_EQ(must(store().list_aliases()).size(), 1u);
  auto projects = must(store().find_mailbox(alice.id, "Projects"));
  ASSERT_TRUE(projects.has_value());
  EXPECT_EQ(projects->uidvalidity, custom.uidvalidity);
  EXPECT_EQ(projects->uidnext, 2u);
  EXPECT_EQ(projects->highestmodseq, flagged.at(0).modseq);
  auto entries = must(store().list_entries(custom.id));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].flags, flag::seen | flag::flagged);
  EXPECT_EQ(entries[0].keywords, std::vector<std::string>{"$Kept"});
  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);
  EXPECT_EQ(must(store().queue_list()).size(), 1u);
  EXPECT_EQ(must(store().resolve("team@example.test")).accounts.size(), 2u);
}

TEST_P(StoreTest, CallerResumesOnItsOwnThread) {
  add_example_accounts();
  asio::io_context io;
  std::thread::id before;
  std::thread::id after;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        before = std::this_thread::get_id();
        auto domains = co_await store().list_domains();
        auto added = co_await store().add_domain("resume.test");
        after = std::this_thread::get_id();
        EXPECT_TRUE(domains && added);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(before, std::this_thread::get_id());
  EXPECT_EQ(after, before) << "a store call completes on the caller's executor";
}

TEST_P(StoreTest, BinaryAndEmptyMessagesRoundTrip) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  NewMessage binary = make_message("binary");
  binary.data += std::string("\0\xff\x01 end\r\n", 9);
  NewMessage empty;
  Placement first = must(store().append(inbox, binary, 0, {}));
  Placement second = must(store().append(inbox, empty, 0, {}));
  auto entries = must(store().list_entries(inbox));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].uid, first.uid);
  EXPECT_EQ(entries[1].uid, second.uid);
  EXPECT_EQ(must(store().read_message(entries[0].message_id)), binary.data);
  EXPECT_EQ(must(store().read_message(entries[1].message_id)), "");
  EXPECT_EQ(entries[1].size, 0u);
  EXPECT_GT(entries[1].internal_date, 0) << "a missing internal date becomes the time of storing";
}

TEST_P(StoreTest, CallsAfterCloseFailCleanly) {
  add_example_accounts();
  store().close();
  store().close();  // idempotent
  EXPECT_EQ(must_fail(store().list_domains()).code, Errc::unavailable);
  EXPECT_EQ(must_fail(store().add_domain("late.test")).code, Errc::unavailable);
}

TEST_P(StoreTest, ManyThreadsDeliverAtOnce) {
  auto [alice, bob] = add_example_accounts();
  constexpr int threads = 8;
  constexpr int per_thread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // Each thread is its own event loop with many deliveries in flight.
      asio::io_context io;
      for (int i = 0; i < per_thread; ++i) {
        asio::co_spawn(
            io,
            [&, t, i]() -> asio::awaitable<void> {
              Delivery delivery;
              delivery.message = make_message("t" + std::to_string(t) + "-" + std::to_string(i));
              delivery.local = {LocalTarget{(i % 2 == 0) ? alice.id : bob.id, "INBOX", 0}};
              auto result = co_await store().deliver(std::move(delivery));
              if (!result) ++failures;
            },
            asio::detached);
      }
      io.run();
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(failures.load(), 0);

  std::set<std::string> subjects;
  for (Id account : {alice.id, bob.id}) {
    auto entries = must(store().list_entries(mailbox_id(account, "INBOX")));
    EXPECT_EQ(entries.size(), static_cast<std::size_t>(threads * per_thread / 2));
    std::uint32_t expected_uid = 1;
    for (const auto& entry : entries) {
      EXPECT_EQ(entry.uid, expected_uid++) << "UIDs are dense and ascending";
      subjects.insert(must(store().message_meta(entry.message_id)).subject);
    }
  }
  EXPECT_EQ(subjects.size(), static_cast<std::size_t>(threads * per_thread));
}

}  // namespace
}  // namespace tern::store::testing
