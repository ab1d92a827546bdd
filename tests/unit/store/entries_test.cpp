// Shared store suite: what IMAP needs of entries — COPY and MOVE with their
// UID mapping, changes since a MODSEQ (CONDSTORE/QRESYNC), the stored MIME
// structure, the change hub, and two writers on one mailbox.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "mime/message.hpp"
#include "store/prepare_message.hpp"
#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

TEST_P(StoreTest, CopyReusesTheMessageAndMapsUids) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  Id archive = mailbox_id(alice.id, "Archive");
  must(store().append(archive, make_message("already there"), 0, {}));
  for (int i = 1; i <= 3; ++i) must(store().append(inbox, make_message("c" + std::to_string(i)), flag::seen, {"$K"}));

  auto mapping = must(store().copy_entries(alice.id, inbox, {3, 1, 99, 3}, archive));
  ASSERT_EQ(mapping.size(), 2u) << "missing UIDs are skipped, duplicates copied once";
  EXPECT_EQ(mapping[0].from_uid, 1u);
  EXPECT_EQ(mapping[0].to_uid, 2u);
  EXPECT_EQ(mapping[1].from_uid, 3u);
  EXPECT_EQ(mapping[1].to_uid, 3u);

  auto source = must(store().list_entries(inbox));
  auto copies = must(store().list_entries(archive));
  ASSERT_EQ(source.size(), 3u) << "COPY leaves the source alone";
  ASSERT_EQ(copies.size(), 3u);
  EXPECT_EQ(copies[1].message_id, source[0].message_id) << "the stored message is shared, not copied";
  EXPECT_EQ(copies[2].message_id, source[2].message_id);
  EXPECT_EQ(copies[1].flags, flag::seen);
  EXPECT_EQ(copies[1].keywords, std::vector<std::string>{"$K"});
  EXPECT_EQ(copies[1].internal_date, source[0].internal_date);

  auto same = must(store().copy_entries(alice.id, inbox, {2}, inbox));
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0].to_uid, 4u) << "COPY into the same mailbox makes a new entry";
  EXPECT_TRUE(must(store().copy_entries(alice.id, inbox, {}, archive)).empty());
}

TEST_P(StoreTest, MoveIsCopyAndExpungeAtOnce) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  Id trash = mailbox_id(alice.id, "Trash");
  for (int i = 1; i <= 3; ++i) must(store().append(inbox, make_message("m" + std::to_string(i)), 0, {}));
  auto listed = must(store().list_entries(inbox));
  std::uint64_t before = must(store().find_mailbox(alice.id, "INBOX"))->highestmodseq;

  auto mapping = must(store().move_entries(alice.id, inbox, {2, 3}, trash));
  ASSERT_EQ(mapping.size(), 2u);
  EXPECT_EQ(mapping[0].from_uid, 2u);
  EXPECT_EQ(mapping[0].to_uid, 1u);
  EXPECT_EQ(mapping[1].from_uid, 3u);
  EXPECT_EQ(mapping[1].to_uid, 2u);
  auto left = must(store().list_entries(inbox));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].uid, 1u);
  auto moved = must(store().list_entries(trash));
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].message_id, listed[1].message_id);
  EXPECT_EQ(must(store().read_message(moved[1].message_id)), make_message("m3").data) << "the message survived the move";

  auto changes = must(store().changes_since(alice.id, inbox, before));
  EXPECT_EQ(changes.vanished, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(must_fail(store().move_entries(alice.id, inbox, {1}, inbox)).code, Errc::invalid);
  EXPECT_EQ(must(store().list_entries(inbox)).size(), 1u);
}

TEST_P(StoreTest, ChangesSinceReportsChangedAndVanished) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  for (int i = 1; i <= 3; ++i) must(store().append(inbox, make_message("s" + std::to_string(i)), 0, {}));
  std::uint64_t seen_modseq = must(store().find_mailbox(alice.id, "INBOX"))->highestmodseq;

  auto nothing = must(store().changes_since(alice.id, inbox, seen_modseq));
  EXPECT_TRUE(nothing.changed.empty());
  EXPECT_TRUE(nothing.vanished.empty());
  EXPECT_EQ(nothing.highestmodseq, seen_modseq);

  must(store().store_flags(inbox, {1}, FlagMode::add, flag::answered, {}));
  must(store().append(inbox, make_message("s4"), 0, {}));
  must(store().expunge(inbox, {2}));
  auto changes = must(store().changes_since(alice.id, inbox, seen_modseq));
  ASSERT_EQ(changes.changed.size(), 2u);
  EXPECT_EQ(changes.changed[0].uid, 1u);
  EXPECT_EQ(changes.changed[0].flags, flag::answered);
  EXPECT_EQ(changes.changed[1].uid, 4u);
  EXPECT_EQ(changes.vanished, std::vector<std::uint32_t>{2});
  EXPECT_TRUE(changes.vanished_complete);
  EXPECT_EQ(changes.uidnext, 5u);
  EXPECT_EQ(changes.highestmodseq, must(store().find_mailbox(alice.id, "INBOX"))->highestmodseq);
  for (const auto& entry : changes.changed) EXPECT_GT(entry.modseq, seen_modseq);

  auto all = must(store().changes_since(alice.id, inbox, 0));
  EXPECT_EQ(all.changed.size(), 3u) << "from 0: every entry there is";
  auto later = must(store().changes_since(alice.id, inbox, changes.highestmodseq));
  EXPECT_TRUE(later.changed.empty());
  EXPECT_TRUE(later.vanished.empty());
}

TEST_P(StoreTest, PreparedMessagesAreStoredCanonicalWithTheirStructure) {
  auto [alice, bob] = add_example_accounts();
  std::string raw =
      "From: a@example.test\nSubject: bare LF\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: text/plain\n\nhello\n--b--\n";
  NewMessage prepared = prepare_message(raw, 1700000000);
  EXPECT_EQ(prepared.data.find("\n\n"), std::string::npos) << "stored with CRLF only";
  EXPECT_EQ(prepared.meta.subject, "bare LF");
  Delivery delivery;
  delivery.message = prepared;
  delivery.local = {LocalTarget{alice.id, "INBOX", 0}};
  DeliveryResult result = must(store().deliver(delivery));

  MessageForFetch fetched = must(store().message_for_fetch(result.message_id));
  EXPECT_EQ(fetched.data, prepared.data);
  EXPECT_EQ(fetched.structure, prepared.structure);
  auto structure = mime::deserialize(fetched.structure);
  ASSERT_TRUE(structure.has_value());
  EXPECT_EQ(structure->size, fetched.data.size());
  EXPECT_EQ(structure->parts.size(), 2u);
  EXPECT_EQ(*structure, mime::analyze_message(fetched.data));
  EXPECT_EQ(must(store().message_structure(result.message_id)), prepared.structure);

  // A caller that brings no structure gets one computed by the store.
  Placement placed = must(store().append(mailbox_id(alice.id, "Drafts"), make_message("plain"), 0, {}));
  Id plain = must(store().list_entries(placed.mailbox_id)).at(0).message_id;
  EXPECT_EQ(must(store().message_structure(plain)), analyze_for_store(make_message("plain").data));
  EXPECT_EQ(must_fail(store().message_structure(424242)).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().message_for_fetch(424242)).code, Errc::not_found);

  // Several at once, in the order asked; a missing one comes back empty.
  auto batch = must(store().messages_for_fetch({plain, 424242, result.message_id}, true));
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].data, make_message("plain").data);
  EXPECT_TRUE(batch[1].structure.empty());
  EXPECT_EQ(batch[2].data, prepared.data);
  EXPECT_EQ(batch[2].structure, prepared.structure);
  auto structures = must(store().messages_for_fetch({result.message_id, plain}, false));
  ASSERT_EQ(structures.size(), 2u);
  EXPECT_TRUE(structures[0].data.empty()) << "no bytes when not asked for";
  EXPECT_EQ(structures[0].structure, prepared.structure);
  EXPECT_FALSE(structures[1].structure.empty());

  // Header sections alone, up to and including the empty line; nullopt for
  // a missing message.
  auto headers = must(store().message_headers({plain, 424242, result.message_id}));
  ASSERT_EQ(headers.size(), 3u);
  const std::string plain_data = make_message("plain").data;
  ASSERT_TRUE(headers[0].has_value());
  EXPECT_EQ(*headers[0], plain_data.substr(0, plain_data.find("\r\n\r\n") + 4));
  EXPECT_FALSE(headers[1].has_value());
  ASSERT_TRUE(headers[2].has_value());
  EXPECT_EQ(*headers[2], prepared.data.substr(0, prepared.data.find("\r\n\r\n") + 4));
  // The default implementation (whole messages, cut) gives the same.
  auto defaults = must(store().Store::message_headers({plain, 424242, result.message_id}));
  EXPECT_EQ(defaults, headers);
}

// A large message arrives mapped from a spool file (prepare_spooled), is
// written in pieces, and reads back whole and in parts.
TEST_P(StoreTest, SpooledMessagesAreStoredAndReadInParts) {
  auto [alice, bob] = add_example_accounts();
  (void)bob;
  Id inbox = mailbox_id(alice.id, "INBOX");
  TempDir dir;
  SpoolOptions options;
  options.dir = std::filesystem::path(dir.path()) / "spool";
  Spool spool(options);
  std::string body = "Subject: large\r\nContent-Type: text/plain\r\n\r\n";
  for (int i = 0; i < 60000; ++i) body += "line " + std::to_string(i) + " of a large message\r\n";
  spool.append(body);
  spool.finish();
  ASSERT_TRUE(spool.spilled());
  const std::string trace = "Received: from x by y; Mon, 7 Dec 2026 10:00:00 +0000\r\n";
  auto prepared = prepare_spooled(trace, spool, 1700000000);
  ASSERT_TRUE(prepared) << prepared.error().message;
  ASSERT_TRUE(prepared->mapped);
  EXPECT_EQ(prepared->meta.subject, "large");
  const Placement placed = must(store().append(inbox, std::move(*prepared), 0, {}));
  const auto entries = must(store().list_entries(inbox));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].uid, placed.uid);
  const std::string expected = trace + body;
  EXPECT_EQ(entries[0].size, expected.size());
  const Id message = entries[0].message_id;
  EXPECT_TRUE(must(store().read_message(message)) == expected);
  std::string pieces;
  for (std::uint64_t offset = 0;; offset += 300000) {
    std::string piece = must(store().read_message_part(message, offset, 300000));
    if (piece.empty()) break;
    pieces += piece;
  }
  EXPECT_TRUE(pieces == expected);
  EXPECT_EQ(must(store().read_message_part(message, 10, 5)), expected.substr(10, 5));
  EXPECT_EQ(must(store().read_message_part(message, expected.size() + 10, 5)), "");
  EXPECT_EQ(must_fail(store().read_message_part(message + 1000, 0, 5)).code, Errc::not_found);
  const auto structure = mime::deserialize(must(store().message_structure(message)));
  ASSERT_TRUE(structure);
  EXPECT_EQ(structure->size, expected.size());
  EXPECT_EQ(structure->parts.front().body_offset, expected.find("\r\n\r\n") + 4);
}

TEST_P(StoreTest, HubFiresForEveryCommittedChangeOfTheMailbox) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  Id archive = mailbox_id(alice.id, "Archive");
  std::atomic<int> inbox_changes{0};
  std::atomic<int> archive_changes{0};
  auto on_inbox = store().change_hub().subscribe(inbox, [&](Id id) {
    EXPECT_EQ(id, inbox);
    ++inbox_changes;
  });
  auto on_archive = store().change_hub().subscribe(archive, [&](Id) { ++archive_changes; });

  Delivery delivery;
  delivery.message = make_message("hub");
  delivery.local = {LocalTarget{alice.id, "INBOX", 0}, LocalTarget{bob.id, "INBOX", 0}};
  must(store().deliver(delivery));
  EXPECT_EQ(inbox_changes.load(), 1) << "fired by the time the write completes";
  must(store().append(inbox, make_message("two"), 0, {}));
  must(store().store_flags(inbox, {1, 2}, FlagMode::add, flag::seen, {}));
  EXPECT_EQ(inbox_changes.load(), 3) << "one signal per committed write, not per entry";
  must(store().copy_entries(alice.id, inbox, {1}, archive));
  EXPECT_EQ(archive_changes.load(), 1);
  must(store().move_entries(alice.id, archive, {1}, inbox));
  EXPECT_EQ(inbox_changes.load(), 4);
  EXPECT_EQ(archive_changes.load(), 2);
  must(store().expunge(inbox, {1}));
  EXPECT_EQ(inbox_changes.load(), 5);

  EXPECT_EQ(must_fail(store().append(inbox, make_message("bad"), 0, {"bad kw"})).code, Errc::invalid);
  Delivery half;  // places into alice's INBOX, then fails: rolled back, so never signalled
  half.message = make_message("half");
  half.local = {LocalTarget{alice.id, "INBOX", 0}, LocalTarget{9999, "INBOX", 0}};
  EXPECT_EQ(must_fail(store().deliver(half)).code, Errc::not_found);
  must(store().store_flags(inbox, {2}, FlagMode::add, flag::seen, {}));
  must(store().store_flags(mailbox_id(bob.id, "INBOX"), {1}, FlagMode::add, flag::seen, {}));
  EXPECT_EQ(inbox_changes.load(), 5) << "failed, empty and other mailboxes' writes are silent";

  on_inbox.reset();
  must(store().append(inbox, make_message("unheard"), 0, {}));
  EXPECT_EQ(inbox_changes.load(), 5) << "nothing after unsubscribe";
  must(store().rename_mailbox(alice.id, "Archive", "Old"));
  must(store().delete_mailbox(alice.id, "Old"));
  EXPECT_EQ(archive_changes.load(), 4) << "rename and delete are changes too";
}

TEST_P(StoreTest, TwoWritersOnOneMailbox) {
  auto [alice, bob] = add_example_accounts();
  Id inbox = mailbox_id(alice.id, "INBOX");
  constexpr int per_writer = 40;
  std::atomic<int> failures{0};
  std::vector<std::vector<std::uint32_t>> uids(2);
  std::vector<std::vector<std::uint64_t>> modseqs(2);
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      // Each writer waits for its own previous write: a session's sequence.
      asio::io_context io;
      asio::co_spawn(
          io,
          [&, w]() -> asio::awaitable<void> {
            for (int i = 0; i < per_writer; ++i) {
              NewMessage message = make_message("w" + std::to_string(w) + "-" + std::to_string(i));
              auto placed = co_await store().append(inbox, std::move(message), 0, {});
              if (!placed) {
                ++failures;
                continue;
              }
              uids[static_cast<std::size_t>(w)].push_back(placed->uid);
              std::vector<std::uint32_t> target{placed->uid};
              auto changed = co_await store().store_flags(inbox, std::move(target), FlagMode::add, flag::seen, {});
              if (!changed || changed->size() != 1) {
                ++failures;
                continue;
              }
              modseqs[static_cast<std::size_t>(w)].push_back(changed->front().modseq);
            }
          },
          asio::detached);
      io.run();
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failures.load(), 0);

  std::set<std::uint32_t> all_uids;
  std::set<std::uint64_t> all_modseqs;
  for (std::size_t w = 0; w < 2; ++w) {
    for (std::size_t i = 1; i < uids[w].size(); ++i) EXPECT_GT(uids[w][i], uids[w][i - 1]);
    for (std::size_t i = 1; i < modseqs[w].size(); ++i) EXPECT_GT(modseqs[w][i], modseqs[w][i - 1]);
    all_uids.insert(uids[w].begin(), uids[w].end());
    all_modseqs.insert(modseqs[w].begin(), modseqs[w].end());
  }
  EXPECT_EQ(all_uids.size(), 2u * per_writer) << "no UID given twice";
  EXPECT_EQ(all_modseqs.size(), 2u * per_writer) << "no MODSEQ given twice";
  auto entries = must(store().list_entries(inbox));
  ASSERT_EQ(entries.size(), 2u * per_writer);
  EXPECT_EQ(entries.back().uid, 2u * per_writer) << "UIDs are dense";
  EXPECT_EQ(must(store().find_mailbox(alice.id, "INBOX"))->highestmodseq, *all_modseqs.rbegin());
}

}  // namespace
}  // namespace tern::store::testing
