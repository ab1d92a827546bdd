// Shared store suite: what IMAP needs of mailboxes — CREATE with superiors,
// RENAME (hierarchy and INBOX), DELETE, SUBSCRIBE, STATUS — and that one
// account cannot reach another's mailboxes through the store API.
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

std::vector<std::string> names_of(const std::vector<Mailbox>& mailboxes) {
  std::vector<std::string> out;
  for (const auto& mailbox : mailboxes) out.push_back(mailbox.name);
  return out;
}

bool has_name(const std::vector<Mailbox>& mailboxes, const std::string& name) {
  auto names = names_of(mailboxes);
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST_P(StoreTest, CreateMakesMissingSuperiors) {
  auto [alice, bob] = add_example_accounts();
  Mailbox deep = must(store().create_mailbox(alice.id, "a/b/c", ""));
  EXPECT_EQ(deep.name, "a/b/c");
  auto all = must(store().list_mailboxes(alice.id));
  EXPECT_TRUE(has_name(all, "a"));
  EXPECT_TRUE(has_name(all, "a/b"));
  EXPECT_EQ(all.size(), 9u);
  Mailbox sibling = must(store().create_mailbox(alice.id, "a/d", ""));
  EXPECT_EQ(sibling.name, "a/d");
  EXPECT_EQ(must(store().list_mailboxes(alice.id)).size(), 10u) << "existing superiors are not created twice";
}

TEST_P(StoreTest, RecentIsClaimedOnceAndCountedByStatus) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  EXPECT_EQ(must(store().find_mailbox(alice.id, "INBOX"))->recent_uid, 0u);
  must(store().append(inbox, make_message("one"), 0, {}));
  must(store().append(inbox, make_message("two"), 0, {}));
  EXPECT_EQ(must(store().mailbox_status(alice.id, inbox)).recent, 2u);
  // The first session to claim them gets both; the next gets none.
  EXPECT_EQ(must(store().claim_recent(inbox, 2)), 0u);
  EXPECT_EQ(must(store().claim_recent(inbox, 2)), 2u);
  EXPECT_EQ(must(store().mailbox_status(alice.id, inbox)).recent, 0u);
  EXPECT_EQ(must(store().find_mailbox(alice.id, "INBOX"))->recent_uid, 2u);
  must(store().append(inbox, make_message("three"), 0, {}));
  EXPECT_EQ(must(store().mailbox_status(alice.id, inbox)).recent, 1u);
  // A claim never lowers the mark.
  EXPECT_EQ(must(store().claim_recent(inbox, 1)), 2u);
  EXPECT_EQ(must(store().claim_recent(inbox, 3)), 2u);
  EXPECT_EQ(must(store().mailbox_status(alice.id, inbox)).recent, 0u);
}

TEST_P(StoreTest, RenameTakesInferiorsAlong) {
  auto [alice, bob] = add_example_accounts();
  must(store().create_mailbox(alice.id, "Work/2024/Q1", ""));
  Mailbox work = *must(store().find_mailbox(alice.id, "Work"));
  Id q1 = mailbox_id(alice.id, "Work/2024/Q1");
  must(store().append(q1, make_message("report"), flag::seen, {}));

  must(store().rename_mailbox(alice.id, "Work", "Jobs/Old"));
  auto all = must(store().list_mailboxes(alice.id));
  for (const char* gone : {"Work", "Work/2024", "Work/2024/Q1"}) EXPECT_FALSE(has_name(all, gone)) << gone;
  for (const char* there : {"Jobs", "Jobs/Old", "Jobs/Old/2024", "Jobs/Old/2024/Q1"})
    EXPECT_TRUE(has_name(all, there)) << there;
  auto renamed = must(store().find_mailbox(alice.id, "Jobs/Old"));
  EXPECT_EQ(renamed->id, work.id);
  EXPECT_EQ(renamed->uidvalidity, work.uidvalidity) << "a renamed mailbox's UIDs stay valid";
  auto entries = must(store().list_entries(mailbox_id(alice.id, "Jobs/Old/2024/Q1")));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].flags, flag::seen);

  EXPECT_EQ(must_fail(store().rename_mailbox(alice.id, "Jobs/Old", "Sent")).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().rename_mailbox(alice.id, "Nope", "Other")).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().rename_mailbox(alice.id, "Jobs", "Jobs/Inner")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().rename_mailbox(alice.id, "Jobs/Old", "bad//name")).code, Errc::invalid);
  EXPECT_TRUE(must(store().find_mailbox(alice.id, "Jobs/Old/2024")).has_value()) << "failed renames change nothing";
}

TEST_P(StoreTest, RenamingInboxMovesItsMessagesAndLeavesItEmpty) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  must(store().create_mailbox(alice.id, "INBOX/Child", ""));
  must(store().append(inbox, make_message("one"), flag::flagged, {"$Work"}));
  must(store().append(inbox, make_message("two"), 0, {}));
  Mailbox before = *must(store().find_mailbox(alice.id, "INBOX"));

  must(store().rename_mailbox(alice.id, "inbox", "Old Mail/2024"));
  Mailbox after = *must(store().find_mailbox(alice.id, "INBOX"));
  EXPECT_EQ(after.id, inbox);
  EXPECT_EQ(after.message_count, 0u);
  EXPECT_EQ(after.uidvalidity, before.uidvalidity);
  EXPECT_EQ(after.uidnext, before.uidnext) << "INBOX never gives those UIDs again";
  EXPECT_TRUE(must(store().find_mailbox(alice.id, "INBOX/Child")).has_value()) << "inferiors of INBOX stay";
  EXPECT_TRUE(must(store().find_mailbox(alice.id, "Old Mail")).has_value());

  Mailbox moved = *must(store().find_mailbox(alice.id, "Old Mail/2024"));
  EXPECT_NE(moved.uidvalidity, before.uidvalidity);
  EXPECT_EQ(moved.uidnext, before.uidnext);
  auto entries = must(store().list_entries(moved.id));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].uid, 1u);
  EXPECT_EQ(entries[0].flags, flag::flagged);
  EXPECT_EQ(entries[0].keywords, std::vector<std::string>{"$Work"});

  auto changes = must(store().changes_since(alice.id, inbox, before.highestmodseq));
  EXPECT_EQ(changes.vanished, (std::vector<std::uint32_t>{1, 2})) << "a session on INBOX sees them expunged";
  EXPECT_GT(changes.highestmodseq, before.highestmodseq);
  Placement next = must(store().append(inbox, make_message("three"), 0, {}));
  EXPECT_EQ(next.uid, 3u);
}

TEST_P(StoreTest, DeleteRefusesInboxAndParents) {
  auto [alice, bob] = add_example_accounts();
  must(store().create_mailbox(alice.id, "Projects/tern", ""));
  Id leaf = mailbox_id(alice.id, "Projects/tern");
  Placement placed = must(store().append(leaf, make_message("only here"), 0, {}));
  Id message = must(store().list_entries(leaf)).at(0).message_id;
  EXPECT_EQ(placed.uid, 1u);

  EXPECT_EQ(must_fail(store().delete_mailbox(alice.id, "Inbox")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().delete_mailbox(alice.id, "Projects")).code, Errc::conflict);
  EXPECT_EQ(must_fail(store().delete_mailbox(alice.id, "Nope")).code, Errc::not_found);
  must(store().delete_mailbox(alice.id, "Projects/tern"));
  EXPECT_FALSE(must(store().find_mailbox(alice.id, "Projects/tern")).has_value());
  EXPECT_EQ(must_fail(store().read_message(message)).code, Errc::not_found) << "its only message went with it";
  must(store().delete_mailbox(alice.id, "Projects"));
  Mailbox again = must(store().create_mailbox(alice.id, "Projects", ""));
  EXPECT_EQ(must(store().list_entries(again.id)).size(), 0u);
}

TEST_P(StoreTest, SubscriptionsAreKept) {
  auto [alice, bob] = add_example_accounts();
  must(store().set_subscribed(alice.id, "Junk", false));
  EXPECT_FALSE(must(store().find_mailbox(alice.id, "Junk"))->subscribed);
  EXPECT_TRUE(must(store().find_mailbox(bob.id, "Junk"))->subscribed);
  must(store().set_subscribed(alice.id, "Junk", true));
  EXPECT_TRUE(must(store().find_mailbox(alice.id, "Junk"))->subscribed);
  EXPECT_EQ(must_fail(store().set_subscribed(alice.id, "Missing", true)).code, Errc::not_found);
}

TEST_P(StoreTest, StatusIsCountedByTheStore) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  NewMessage a = make_message("a");
  NewMessage b = make_message("bb", "A longer body.");
  NewMessage c = make_message("c");
  std::uint64_t total = a.data.size() + b.data.size() + c.data.size();
  must(store().append(inbox, std::move(a), flag::seen, {}));
  must(store().append(inbox, std::move(b), flag::deleted, {}));
  must(store().append(inbox, std::move(c), 0, {}));

  MailboxStatus status = must(store().mailbox_status(alice.id, inbox));
  Mailbox mailbox = *must(store().find_mailbox(alice.id, "INBOX"));
  EXPECT_EQ(status.messages, 3u);
  EXPECT_EQ(status.unseen, 2u);
  EXPECT_EQ(status.deleted, 1u);
  EXPECT_EQ(status.size, total);
  EXPECT_EQ(status.uidnext, 4u);
  EXPECT_EQ(status.uidvalidity, mailbox.uidvalidity);
  EXPECT_EQ(status.highestmodseq, mailbox.highestmodseq);

  MailboxStatus empty = must(store().mailbox_status(alice.id, mailbox_id(alice.id, "Trash")));
  EXPECT_EQ(empty.messages, 0u);
  EXPECT_EQ(empty.size, 0u);
}

TEST_P(StoreTest, OneAccountCannotReachAnothersMailboxes) {
  auto [alice, bob] = add_example_accounts();
  Id alice_inbox = mailbox_id(alice.id, "INBOX");
  Id bob_inbox = mailbox_id(bob.id, "INBOX");
  must(store().append(bob_inbox, make_message("bob's"), 0, {}));

  EXPECT_EQ(must_fail(store().mailbox_status(alice.id, bob_inbox)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().changes_since(alice.id, bob_inbox, 0)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().copy_entries(alice.id, bob_inbox, {1}, alice_inbox)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().copy_entries(alice.id, alice_inbox, {1}, bob_inbox)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().move_entries(alice.id, bob_inbox, {1}, alice_inbox)).code, Errc::not_found);

  must(store().rename_mailbox(alice.id, "Sent", "Sent Items"));
  must(store().delete_mailbox(alice.id, "Junk"));
  must(store().set_subscribed(alice.id, "Drafts", false));
  auto bobs = must(store().list_mailboxes(bob.id));
  EXPECT_TRUE(has_name(bobs, "Sent"));
  EXPECT_TRUE(has_name(bobs, "Junk"));
  EXPECT_TRUE(must(store().find_mailbox(bob.id, "Drafts"))->subscribed);
  EXPECT_EQ(must(store().list_entries(bob_inbox)).size(), 1u);
  EXPECT_TRUE(must(store().list_entries(alice_inbox)).empty());
}

}  // namespace
}  // namespace tern::store::testing
