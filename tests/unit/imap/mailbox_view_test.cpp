// MailboxView: sequence numbers, set resolution, catching up with changes
// (EXISTS, EXPUNGE in a valid order, FETCH FLAGS), deferred expunges; LIST
// pattern matching and mailbox name checks.
#include <gtest/gtest.h>

#include "imap/commands/list_match.hpp"
#include "imap/commands/mailbox_names.hpp"
#include "imap/mailbox_view.hpp"

namespace tern::imap {
namespace {

store::MailEntry entry(std::uint32_t uid, std::uint64_t modseq = 1, std::uint32_t flags = 0) {
  store::MailEntry e;
  e.uid = uid;
  e.modseq = modseq;
  e.flags = flags;
  e.message_id = uid * 10;
  e.size = 100;
  return e;
}

MailboxView make_view(std::vector<std::uint32_t> uids) {
  store::Mailbox m;
  m.id = 7;
  m.name = "INBOX";
  m.uidvalidity = 42;
  m.uidnext = uids.empty() ? 1 : uids.back() + 1;
  m.highestmodseq = 5;
  std::vector<store::MailEntry> entries;
  for (auto u : uids) entries.push_back(entry(u));
  return MailboxView(m, entries, false);
}

SequenceSet set(const std::string& text) { return *parse_sequence_set(text); }

TEST(MailboxView, ResolvesSequenceNumbers) {
  auto view = make_view({3, 5, 9, 12});
  EXPECT_EQ(*view.resolve(set("1:*"), false), (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(*view.resolve(set("*"), false), (std::vector<std::size_t>{3}));
  EXPECT_EQ(*view.resolve(set("4:2"), false), (std::vector<std::size_t>{1, 2, 3}));
  EXPECT_EQ(*view.resolve(set("2,2,1"), false), (std::vector<std::size_t>{0, 1}));
  EXPECT_FALSE(view.resolve(set("5"), false));  // beyond EXISTS: BAD
  EXPECT_FALSE(view.resolve(set("1:5"), false));
}

TEST(MailboxView, ResolvesUids) {
  auto view = make_view({3, 5, 9, 12});
  EXPECT_EQ(*view.resolve(set("4:10"), true), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(*view.resolve(set("100"), true), (std::vector<std::size_t>{}));
  // "n:*" with n above the largest UID still names the largest (RFC 9051 6.4.8).
  EXPECT_EQ(*view.resolve(set("13:*"), true), (std::vector<std::size_t>{3}));
  EXPECT_EQ(*view.resolve(set("*"), true), (std::vector<std::size_t>{3}));
}

TEST(MailboxView, EmptyMailbox) {
  auto view = make_view({});
  EXPECT_EQ(*view.resolve(set("1:*"), true), (std::vector<std::size_t>{}));
  EXPECT_EQ(*view.resolve(set("*"), false), (std::vector<std::size_t>{}));
  EXPECT_FALSE(view.resolve(set("1"), false));
}

TEST(MailboxView, SavedResult) {
  auto view = make_view({3, 5, 9});
  view.set_saved_uids({9, 3, 77});
  SequenceSet saved;
  saved.saved = true;
  EXPECT_EQ(*view.resolve(saved, false), (std::vector<std::size_t>{0, 2}));
}

TEST(MailboxView, AppliesNewMessagesAndFlags) {
  auto view = make_view({1, 2});
  store::MailboxChanges changes;
  changes.changed = {entry(2, 6, store::flag::seen), entry(3, 7)};
  changes.highestmodseq = 7;
  changes.uidnext = 4;
  std::string out = view.apply(changes, ViewOptions{});
  EXPECT_EQ(out, "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 3 EXISTS\r\n");
  EXPECT_EQ(view.exists(), 3u);
  EXPECT_EQ(view.highestmodseq(), 7u);
  // The same changes again report nothing.
  EXPECT_EQ(view.apply(changes, ViewOptions{}), "");
}

TEST(MailboxView, ExpungesHighestFirst) {
  auto view = make_view({1, 2, 3, 4, 5});
  store::MailboxChanges changes;
  changes.vanished = {2, 4};
  changes.highestmodseq = 9;
  EXPECT_EQ(view.apply(changes, ViewOptions{}), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(view.exists(), 3u);
  EXPECT_EQ(*view.resolve(set("2"), false), (std::vector<std::size_t>{1}));
  EXPECT_EQ(view.entries()[1].uid, 3u);
}

TEST(MailboxView, ExpungesWaitDuringFetch) {
  auto view = make_view({1, 2, 3});
  store::MailboxChanges changes;
  changes.vanished = {1};
  changes.changed = {entry(4, 8)};
  changes.highestmodseq = 8;
  ViewOptions during_fetch;
  during_fetch.allow_expunge = false;
  // The new message is announced; the expunge waits and numbers stay put.
  EXPECT_EQ(view.apply(changes, during_fetch), "* 4 EXISTS\r\n");
  EXPECT_EQ(view.exists(), 4u);
  EXPECT_TRUE(view.entries()[0].expunged);
  EXPECT_EQ(view.flush_expunges(ViewOptions{}), "* 1 EXPUNGE\r\n");
  EXPECT_EQ(view.exists(), 3u);
}

TEST(MailboxView, VanishedWithQresync) {
  auto view = make_view({1, 2, 3, 7});
  ViewOptions options;
  options.qresync = true;
  EXPECT_EQ(view.remove_uids({1, 2, 7}, options), "* VANISHED 1:2,7\r\n");
}

TEST(MailboxView, OwnStoreIsNotReportedAgain) {
  auto view = make_view({1});
  view.update_entry(entry(1, 6, store::flag::flagged));
  store::MailboxChanges changes;
  changes.changed = {entry(1, 6, store::flag::flagged)};
  changes.highestmodseq = 6;
  EXPECT_EQ(view.apply(changes, ViewOptions{}), "");
  ViewOptions condstore;
  condstore.condstore = true;
  changes.changed = {entry(1, 9, store::flag::flagged)};
  EXPECT_EQ(view.apply(changes, condstore), "* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (9))\r\n");
}

TEST(Flags, SplitAndFormat) {
  auto split = split_flags({"\\Seen", "\\deleted", "$Junk", "\\Recent", "$junk", "\\Unknown"});
  ASSERT_TRUE(split);
  EXPECT_EQ(split->bits, store::flag::seen | store::flag::deleted);
  EXPECT_EQ(split->keywords, (std::vector<std::string>{"$Junk"}));
  EXPECT_FALSE(split_flags({"bad(keyword"}));
  EXPECT_FALSE(split_flags({""}));
  EXPECT_EQ(format_flags(store::flag::seen | store::flag::draft, {"$Label1"}), "(\\Seen \\Draft $Label1)");
}

TEST(ListMatch, Wildcards) {
  EXPECT_TRUE(pattern_matches("*", "a/b/c"));
  EXPECT_TRUE(pattern_matches("%", "Work"));
  EXPECT_FALSE(pattern_matches("%", "Work/Projects"));
  EXPECT_TRUE(pattern_matches("Work/%", "Work/Projects"));
  EXPECT_FALSE(pattern_matches("Work/%", "Work/Projects/2024"));
  EXPECT_TRUE(pattern_matches("W*s", "Work/Projects"));
  EXPECT_TRUE(pattern_matches("inbox", "INBOX"));
  EXPECT_TRUE(pattern_matches("InBoX/%", "INBOX/sub"));
  EXPECT_FALSE(pattern_matches("Inbox", "Inbox2"));
  EXPECT_FALSE(pattern_matches("Work", "Work/Projects"));
  // Many wildcards stay cheap (no backtracking blow-up).
  EXPECT_FALSE(pattern_matches(std::string(200, '*') + "x", std::string(1000, 'a')));
  EXPECT_EQ(combine_reference("Work/", "%"), "Work/%");
  EXPECT_EQ(combine_reference("Work", "%"), "Work/%");
  EXPECT_EQ(combine_reference("", "INBOX"), "INBOX");
}

TEST(MailboxNames, CreateRules) {
  EXPECT_EQ(name_to_create("Work/"), "Work");
  EXPECT_EQ(name_to_create("Entwürfe"), "Entwürfe");
  EXPECT_FALSE(name_to_create(""));
  EXPECT_FALSE(name_to_create("/"));
  EXPECT_FALSE(name_to_create("a//b"));
  EXPECT_FALSE(name_to_create("/a"));
  EXPECT_FALSE(name_to_create("a*"));
  EXPECT_FALSE(name_to_create("a%b"));
  EXPECT_FALSE(name_to_create(std::string("a\0b", 3)));
  EXPECT_FALSE(name_to_create("a\rb"));
  EXPECT_FALSE(name_to_create(std::string(256, 'x')));
  EXPECT_TRUE(name_to_create(std::string(255, 'x')));
}

TEST(MailboxNames, WhatCouldNeverNameAMailbox) {
  for (const char* good : {"INBOX", "Work/2026/Q1", "Entwürfe", "日本語", "a b", "a.b", "&"})
    EXPECT_TRUE(valid_mailbox_name(good)) << good;
  for (const char* bad : {"", "/alice/INBOX", "//INBOX", "INBOX/", "%", "*", "a\x7f",
                          "x\u202ey",   // right-to-left override
                          "x\u202ax",   // left-to-right embedding
                          "x\u2066x",   // left-to-right isolate
                          "x\u2069x",   // pop directional isolate
                          "x\u200fx",   // right-to-left mark
                          "x\u061cx",   // arabic letter mark
                          "x\u0085x"})  // a C1 control (NEL)
    EXPECT_FALSE(valid_mailbox_name(bad)) << bad;
  EXPECT_FALSE(valid_mailbox_name(std::string(10000, 'x')));
  EXPECT_FALSE(valid_mailbox_name(std::string("a\0b", 3)));
  // Depth: 32 levels at most; length: 1000 octets at most.
  std::string deep = "a";
  for (std::size_t i = 1; i < max_mailbox_depth; ++i) deep += "/a";
  EXPECT_TRUE(valid_mailbox_name(deep));
  EXPECT_FALSE(valid_mailbox_name(deep + "/a"));
  std::string long_name;
  while (long_name.size() < max_mailbox_name_octets) long_name += std::string(99, 'n') + "/";
  long_name.resize(max_mailbox_name_octets - 1);
  EXPECT_TRUE(valid_mailbox_name(long_name + "x")) << long_name.size();
  EXPECT_FALSE(valid_mailbox_name(long_name + "xy"));
}

}  // namespace
}  // namespace tern::imap
