// Shared store suite: mailboxes, delivery, append, flags, expunge.
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

TEST_P(StoreTest, MailboxesAreCreatedAndFound) {
  auto [alice, bob] = add_example_accounts();
  Mailbox lists = must(store().create_mailbox(alice.id, "Lists/tern", ""));
  EXPECT_EQ(lists.name, "Lists/tern");
  EXPECT_EQ(lists.account_id, alice.id);
  Mailbox all = must(store().create_mailbox(alice.id, "All Mail", "\\All"));
  EXPECT_EQ(all.special_use, "\\All");
  EXPECT_GT(all.uidvalidity, lists.uidvalidity) << "UIDVALIDITY grows with every new mailbox";

  auto found = must(store().find_mailbox(alice.id, "Lists/tern"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, lists.id);
  auto inbox = must(store().find_mailbox(alice.id, "inbox"));
  ASSERT_TRUE(inbox.has_value()) << "INBOX is case-insensitive";
  EXPECT_EQ(inbox->name, "INBOX");
  EXPECT_FALSE(must(store().find_mailbox(bob.id, "Lists/tern")).has_value()) << "mailboxes are per account";
  EXPECT_EQ(must(store().list_mailboxes(alice.id)).size(), 9u) << "Lists/tern created its superior Lists";
}

TEST_P(StoreTest, MailboxErrors) {
  auto [alice, bob] = add_example_accounts();
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "Sent", "")).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "Inbox", "")).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "", "")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "a//b", "")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "/top", "")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "star*", "")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "bell\a", "")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(alice.id, "Odd", "\\Bogus")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().create_mailbox(9999, "Lost", "")).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().list_mailboxes(9999)).code, Errc::not_found);
}

TEST_P(StoreTest, DeliverPlacesOneEntryPerTarget) {
  auto [alice, bob] = add_example_accounts();
  Id alice_sent = mailbox_id(alice.id, "Sent");
  Delivery delivery;
  delivery.message = make_message("hello");
  delivery.local = {LocalTarget{alice.id, "INBOX", 0}, LocalTarget{bob.id, "INBOX", flag::flagged},
                    LocalTarget{alice.id, "Sent", flag::seen}};
  DeliveryResult result = must(store().deliver(delivery));
  ASSERT_EQ(result.placed.size(), 3u);
  EXPECT_FALSE(result.queue_id.has_value());
  EXPECT_EQ(result.placed[2].mailbox_id, alice_sent);
  for (const auto& placement : result.placed) EXPECT_EQ(placement.uid, 1u);

  auto bob_entries = must(store().list_entries(mailbox_id(bob.id, "INBOX")));
  ASSERT_EQ(bob_entries.size(), 1u);
  EXPECT_EQ(bob_entries[0].flags, flag::flagged);
  EXPECT_EQ(bob_entries[0].message_id, result.message_id);
  EXPECT_EQ(bob_entries[0].size, delivery.message.data.size());
  EXPECT_EQ(bob_entries[0].internal_date, delivery.message.internal_date);

  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);
  MessageMeta meta = must(store().message_meta(result.message_id));
  EXPECT_EQ(meta.subject, "hello");
  EXPECT_EQ(meta.from, "Alice <alice@example.test>");
  EXPECT_EQ(meta.message_id, "<hello@example.test>");
  EXPECT_EQ(meta.header_size, delivery.message.meta.header_size);
  EXPECT_EQ(meta.size, delivery.message.data.size());

  auto inbox = must(store().find_mailbox(alice.id, "INBOX"));
  EXPECT_EQ(inbox->message_count, 1u);
  EXPECT_EQ(inbox->uidnext, 2u);
}

TEST_P(StoreTest, DeliverFallsBackToInboxAndSkipsDuplicates) {
  auto [alice, bob] = add_example_accounts();
  Delivery delivery;
  delivery.message = make_message("fallback");
  delivery.local = {LocalTarget{alice.id, "No Such Folder", 0}, LocalTarget{alice.id, "INBOX", 0}};
  DeliveryResult result = must(store().deliver(delivery));
  ASSERT_EQ(result.placed.size(), 1u) << "one copy per mailbox";
  EXPECT_EQ(result.placed[0].mailbox_id, mailbox_id(alice.id, "INBOX"));
}

TEST_P(StoreTest, DeliverErrorsLeaveNothingBehind) {
  auto [alice, bob] = add_example_accounts();
  Delivery empty;
  empty.message = make_message("nobody");
  EXPECT_EQ(must_fail(store().deliver(empty)).code, Errc::invalid);

  Delivery ghost;
  ghost.message = make_message("ghost");
  ghost.local = {LocalTarget{alice.id, "INBOX", 0}, LocalTarget{9999, "INBOX", 0}};
  EXPECT_EQ(must_fail(store().deliver(ghost)).code, Errc::not_found);
  EXPECT_TRUE(must(store().list_entries(mailbox_id(alice.id, "INBOX"))).empty()) << "all or nothing";

  Delivery bad_flags;
  bad_flags.message = make_message("flags");
  bad_flags.local = {LocalTarget{alice.id, "INBOX", 1u << 20}};
  EXPECT_EQ(must_fail(store().deliver(bad_flags)).code, Errc::invalid);

  Delivery bad_ret;
  bad_ret.message = make_message("ret");
  bad_ret.outbound.emplace();
  bad_ret.outbound->sender = "alice@example.test";
  bad_ret.outbound->recipients.emplace_back();
  bad_ret.outbound->recipients.back().address = "x@remote.test";
  bad_ret.outbound->ret = "BOGUS";
  EXPECT_EQ(must_fail(store().deliver(bad_ret)).code, Errc::invalid);
  EXPECT_TRUE(must(store().queue_list()).empty());
}

TEST_P(StoreTest, UidsAndModseqsOnlyGrow) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  std::uint32_t last_uid = 0;
  std::uint64_t last_modseq = 0;
  for (int i = 0; i < 5; ++i) {
    Placement placed = must(store().append(inbox, make_message("m" + std::to_string(i)), 0, {}));
    EXPECT_GT(placed.uid, last_uid);
    last_uid = placed.uid;
  }
  must(store().expunge(inbox, {5}));
  Placement after = must(store().append(inbox, make_message("after"), 0, {}));
  EXPECT_EQ(after.uid, 6u) << "UIDs are never reused, even after an expunge";

  auto entries = must(store().list_entries(inbox));
  ASSERT_EQ(entries.size(), 5u);
  for (const auto& entry : entries) {
    EXPECT_GT(entry.modseq, last_modseq);
    last_modseq = entry.modseq;
  }
  auto changed = must(store().store_flags(inbox, {1, 2}, FlagMode::add, flag::seen, {}));
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_GT(changed[0].modseq, last_modseq);
  EXPECT_GT(changed[1].modseq, changed[0].modseq);
  auto mailbox = must(store().find_mailbox(alice.id, "INBOX"));
  EXPECT_EQ(mailbox->highestmodseq, changed[1].modseq);
  EXPECT_EQ(mailbox->uidnext, 7u);
}

TEST_P(StoreTest, AppendKeepsFlagsAndKeywords) {
  auto [alice, bob] = add_example_accounts();
  Id drafts = mailbox_id(alice.id, "Drafts");
  Placement placed =
      must(store().append(drafts, make_message("draft"), flag::draft | flag::seen, {"$Work", "$Label1", "$Work"}));
  EXPECT_EQ(placed.mailbox_id, drafts);
  auto entries = must(store().list_entries(drafts));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].flags, flag::draft | flag::seen);
  EXPECT_EQ(entries[0].keywords, (std::vector<std::string>{"$Label1", "$Work"}));

  EXPECT_EQ(must_fail(store().append(9999, make_message("x"), 0, {})).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().append(drafts, make_message("x"), 0, {"two words"})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().append(drafts, make_message("x"), 0, {"\\Seen"})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().append(drafts, make_message("x"), 1u << 9, {})).code, Errc::invalid);
  EXPECT_EQ(must(store().list_entries(drafts)).size(), 1u);
}

TEST_P(StoreTest, StoreFlagsModes) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  must(store().append(inbox, make_message("a"), flag::seen, {"$A"}));
  must(store().append(inbox, make_message("b"), 0, {}));

  auto added = must(store().store_flags(inbox, {1, 2, 99}, FlagMode::add, flag::flagged, {"$B"}));
  ASSERT_EQ(added.size(), 2u) << "a missing UID is skipped";
  EXPECT_EQ(added[0].flags, flag::seen | flag::flagged);
  EXPECT_EQ(added[0].keywords, (std::vector<std::string>{"$A", "$B"}));
  EXPECT_EQ(added[1].keywords, std::vector<std::string>{"$B"});

  auto unchanged = must(store().store_flags(inbox, {1}, FlagMode::add, flag::flagged, {"$B"}));
  EXPECT_TRUE(unchanged.empty()) << "an entry that does not change keeps its MODSEQ";

  auto removed = must(store().store_flags(inbox, {1}, FlagMode::remove, flag::seen, {"$A"}));
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].flags, flag::flagged);
  EXPECT_EQ(removed[0].keywords, std::vector<std::string>{"$B"});

  auto replaced = must(store().store_flags(inbox, {1, 2}, FlagMode::replace, flag::answered, {}));
  ASSERT_EQ(replaced.size(), 2u);
  for (const auto& entry : replaced) {
    EXPECT_EQ(entry.flags, flag::answered);
    EXPECT_TRUE(entry.keywords.empty());
  }
  auto entries = must(store().list_entries(inbox));
  EXPECT_EQ(entries[1].flags, flag::answered);
  EXPECT_EQ(entries[1].modseq, replaced[1].modseq);

  EXPECT_EQ(must_fail(store().store_flags(9999, {1}, FlagMode::add, flag::seen, {})).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().store_flags(inbox, {1}, FlagMode::add, 1u << 12, {})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().store_flags(inbox, {1}, FlagMode::add, 0, {"bad(kw"})).code, Errc::invalid);
}

TEST_P(StoreTest, ExpungeRemovesOnlyTheGivenUids) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  for (int i = 0; i < 4; ++i) must(store().append(inbox, make_message("e" + std::to_string(i)), 0, {}));
  auto before = must(store().find_mailbox(alice.id, "INBOX"));

  auto removed = must(store().expunge(inbox, {3, 1, 3, 42}));
  EXPECT_EQ(removed, (std::vector<std::uint32_t>{1, 3}));
  auto entries = must(store().list_entries(inbox));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].uid, 2u);
  EXPECT_EQ(entries[1].uid, 4u);
  auto after = must(store().find_mailbox(alice.id, "INBOX"));
  EXPECT_GT(after->highestmodseq, before->highestmodseq) << "an expunge is a change a client must see";
  EXPECT_EQ(after->message_count, 2u);

  EXPECT_TRUE(must(store().expunge(inbox, {1})).empty());
  EXPECT_EQ(must_fail(store().expunge(9999, {1})).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().list_entries(9999)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().read_message(424242)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().message_meta(424242)).code, Errc::not_found);
}

TEST_P(StoreTest, SharedBlobGoesOnlyWithItsLastEntry) {
  must(store().add_domain("example.test"));
  std::vector<Account> accounts;
  for (const char* name : {"a@example.test", "b@example.test", "c@example.test"}) {
    accounts.push_back(must(store().add_account(name, "h")));
  }
  Delivery delivery;
  delivery.message = make_message("shared");
  for (const auto& account : accounts) delivery.local.push_back(LocalTarget{account.id, "INBOX", 0});
  DeliveryResult result = must(store().deliver(delivery));
  ASSERT_EQ(result.placed.size(), 3u);
  for (const auto& account : accounts) {
    auto entries = must(store().list_entries(mailbox_id(account.id, "INBOX")));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].message_id, result.message_id) << "one stored message for all three";
  }

  must(store().expunge(result.placed[0].mailbox_id, {result.placed[0].uid}));
  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);
  must(store().remove_account("b@example.test"));
  EXPECT_EQ(must(store().read_message(result.message_id)), delivery.message.data);
  must(store().expunge(result.placed[2].mailbox_id, {result.placed[2].uid}));
  EXPECT_EQ(must_fail(store().read_message(result.message_id)).code, Errc::not_found);
}

TEST_P(StoreTest, RemovingAnAccountRemovesItsMessages) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  Placement placed = must(store().append(inbox, make_message("mine"), 0, {}));
  auto entries = must(store().list_entries(inbox));
  Id message = entries.at(0).message_id;
  EXPECT_EQ(placed.uid, 1u);
  must(store().remove_account("alice@example.test"));
  EXPECT_EQ(must_fail(store().read_message(message)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().list_entries(inbox)).code, Errc::not_found);
  EXPECT_EQ(must(store().list_mailboxes(bob.id)).size(), 6u);
}

}  // namespace
}  // namespace tern::store::testing
