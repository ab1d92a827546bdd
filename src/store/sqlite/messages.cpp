// Messages and mailbox entries in the SQLite back end. A message's bytes are
// stored once however many entries refer to them. UIDs come from the
// mailbox's UIDNEXT (RFC 9051 2.3.1.1: strictly ascending, never reused) and
// every change to an entry takes a new MODSEQ from the mailbox's
// HIGHESTMODSEQ (RFC 7162 3.1.1); an expunge raises HIGHESTMODSEQ too
// (RFC 7162 3.2.10), so a client can tell that something changed, and the
// expunged UIDs are kept with that MODSEQ for QRESYNC. Each message's MIME
// structure is stored beside it (message_structures) for FETCH.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>

#include "store/prepare_message.hpp"
#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

const std::string_view select_entry =
    "SELECT e.mailbox_id, e.uid, e.modseq, e.flags, e.keywords, e.message_id, m.size, m.internal_date "
    "FROM entries e JOIN messages m ON m.id = e.message_id";

MailEntry entry_from(const Statement& row) {
  MailEntry out;
  out.mailbox_id = row.integer(0);
  out.uid = row.u32(1);
  out.modseq = row.u64(2);
  out.flags = row.u32(3);
  out.keywords = split_keywords(row.text(4));
  out.message_id = row.integer(5);
  out.size = row.u64(6);
  out.internal_date = row.integer(7);
  return out;
}

Result<void> require_mailbox(Connection& db, Id mailbox_id) {
  TERN_TRY_ASSIGN(auto found, db.scalar("SELECT id FROM mailboxes WHERE id = ?1", mailbox_id));
  if (!found) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
  return {};
}

Result<void> require_account_mailbox(Connection& db, Id account_id, Id mailbox_id) {
  TERN_TRY_ASSIGN(auto found,
                  db.scalar("SELECT id FROM mailboxes WHERE id = ?1 AND account_id = ?2", mailbox_id, account_id));
  // The same answer as for a mailbox that does not exist: another account's
  // mailbox ids are not even confirmed (DESIGN.md rule 5).
  if (!found) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
  return {};
}

Result<std::uint64_t> next_modseq(Connection& db, Id mailbox_id) {
  TERN_TRY_ASSIGN(auto row, db.query("UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ?1 "
                                     "RETURNING highestmodseq",
                                     mailbox_id));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
  std::uint64_t modseq = row.u64(0);
  TERN_TRY(row.run());
  db.note_mailbox_changed(mailbox_id);
  return modseq;
}

Result<Id> insert_message(Connection& db, const NewMessage& message) {
  const MessageMeta& meta = message.meta;
  const std::string_view bytes = message.bytes();
  // A large message goes in as a zero blob filled in pieces afterwards, so
  // that neither SQLite nor tern ever holds a whole copy of it.
  constexpr std::size_t piece = 256 * 1024;
  const bool incremental = bytes.size() > piece;
  // The stored size is the size of the stored bytes, whatever the meta says.
  auto insert = [&](auto data) {
    return db.execute("INSERT INTO messages (size, internal_date, header_size, date, subject, from_field, sender, "
                      "reply_to, to_field, cc, bcc, in_reply_to, message_id_field, data) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                      static_cast<std::uint64_t>(bytes.size()),
                      message.internal_date != 0 ? message.internal_date : now(), meta.header_size, meta.date,
                      meta.subject, meta.from, meta.sender, meta.reply_to, meta.to, meta.cc, meta.bcc,
                      meta.in_reply_to, meta.message_id, data);
  };
  if (incremental) {
    TERN_TRY(insert(ZeroBlob{bytes.size()}));
  } else {
    TERN_TRY(insert(Blob{bytes}));
  }
  Id id = db.last_insert_id();
  if (incremental) {
    TERN_TRY(db.write_blob("messages", "data", id, bytes, piece, [&](std::uint64_t offset, std::uint64_t length) {
      if (message.mapped) message.mapped->release(offset, length);
    }));
  }
  // Callers prepare the structure off this thread (prepare_message); one that
  // did not gets it computed here, so every message stored has one.
  std::string computed;
  if (message.structure.empty()) computed = analyze_for_store(bytes);
  const std::string& structure = message.structure.empty() ? computed : message.structure;
  TERN_TRY(db.execute("INSERT INTO message_structures (message_id, structure) VALUES (?1, ?2)", id,
                      Blob{structure}));
  return id;
}

// Adds one entry at the mailbox's next UID with a fresh MODSEQ.
Result<Placement> add_entry(Connection& db, Id mailbox_id, Id message_id, std::uint32_t flags,
                            const std::string& keywords) {
  TERN_TRY_ASSIGN(auto row, db.query("UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1 "
                                     "WHERE id = ?1 AND uidnext < 4294967295 RETURNING uidnext - 1, highestmodseq",
                                     mailbox_id));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) {
    TERN_TRY(require_mailbox(db, mailbox_id));
    return make_error(Errc::conflict, fmt::format("mailbox {} has no UIDs left", mailbox_id));
  }
  Placement out{mailbox_id, row.u32(0)};
  std::uint64_t modseq = row.u64(1);
  TERN_TRY(row.run());
  TERN_TRY(db.execute("INSERT INTO entries (mailbox_id, uid, modseq, flags, keywords, message_id) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      mailbox_id, out.uid, modseq, flags, keywords, message_id));
  db.note_mailbox_changed(mailbox_id);
  return out;
}

namespace {

// The mailbox a local target names; its INBOX when that one is missing.
Result<Id> target_mailbox(Connection& db, const LocalTarget& target) {
  auto name = canonical_mailbox_name(target.mailbox);
  if (name) {
    TERN_TRY_ASSIGN(auto named, db.scalar("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2",
                                          target.account_id, *name));
    if (named) return *named;
  }
  TERN_TRY_ASSIGN(auto inbox,
                  db.scalar("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = 'INBOX'", target.account_id));
  if (inbox) return *inbox;
  return make_error(Errc::not_found, fmt::format("account {} does not exist or has no INBOX", target.account_id));
}

}  // namespace

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

Result<DeliveryResult> deliver(Connection& db, const Delivery& delivery) {
  bool outbound = delivery.outbound.has_value() && !delivery.outbound->recipients.empty();
  if (delivery.local.empty() && !outbound) {
    return make_error(Errc::invalid, "a delivery needs a local target or an outbound recipient");
  }
  for (const auto& target : delivery.local) TERN_TRY(check_flags(target.flags));

  DeliveryResult out;
  TERN_TRY_ASSIGN(out.message_id, insert_message(db, delivery.message));
  for (const auto& target : delivery.local) {
    TERN_TRY_ASSIGN(Id mailbox_id, target_mailbox(db, target));
    // One copy per mailbox, however many ways (aliases) the message got there.
    bool placed = std::any_of(out.placed.begin(), out.placed.end(),
                              [&](const Placement& p) { return p.mailbox_id == mailbox_id; });
    if (placed) continue;
    TERN_TRY_ASSIGN(Placement placement, add_entry(db, mailbox_id, out.message_id, target.flags, ""));
    out.placed.push_back(placement);
  }
  if (outbound) {
    TERN_TRY_ASSIGN(Id queue_id, insert_queue_entry(db, out.message_id, *delivery.outbound, now()));
    out.queue_id = queue_id;
  }
  return out;
}

Result<Placement> append(Connection& db, Id mailbox_id, const NewMessage& message, std::uint32_t flags,
                         const std::vector<std::string>& keywords) {
  TERN_TRY(check_flags(flags));
  TERN_TRY_ASSIGN(auto clean, normalize_keywords(keywords));
  TERN_TRY(require_mailbox(db, mailbox_id));
  TERN_TRY_ASSIGN(Id message_id, insert_message(db, message));
  return add_entry(db, mailbox_id, message_id, flags, join_keywords(clean));
}

Result<std::vector<MailEntry>> list_entries(Connection& db, Id mailbox_id) {
  TERN_TRY(require_mailbox(db, mailbox_id));
  TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_entry) + " WHERE e.mailbox_id = ?1 ORDER BY e.uid", mailbox_id));
  std::vector<MailEntry> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    out.push_back(entry_from(rows));
  }
}

Result<std::string> read_message(Connection& db, Id message_id) {
  TERN_TRY_ASSIGN(auto row, db.query("SELECT data FROM messages WHERE id = ?1", message_id));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return make_error(Errc::not_found, fmt::format("message {} does not exist", message_id));
  return row.blob(0);
}

Result<std::string> message_header(Connection& db, Id message_id) {
  TERN_TRY_ASSIGN(auto row, db.query("SELECT substr(data, 1, header_size) FROM messages WHERE id = ?1", message_id));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return make_error(Errc::not_found, fmt::format("message {} does not exist", message_id));
  return row.blob(0);
}

Result<MessageMeta> message_meta(Connection& db, Id message_id) {
  TERN_TRY_ASSIGN(auto row, db.query("SELECT size, header_size, date, subject, from_field, sender, reply_to, to_field, "
                                     "cc, bcc, in_reply_to, message_id_field FROM messages WHERE id = ?1",
                                     message_id));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return make_error(Errc::not_found, fmt::format("message {} does not exist", message_id));
  MessageMeta out;
  out.size = row.u64(0);
  out.header_size = row.u64(1);
  out.date = row.integer(2);
  out.subject = row.text(3);
  out.from = row.text(4);
  out.sender = row.text(5);
  out.reply_to = row.text(6);
  out.to = row.text(7);
  out.cc = row.text(8);
  out.bcc = row.text(9);
  out.in_reply_to = row.text(10);
  out.message_id = row.text(11);
  return out;
}

Result<std::vector<MailEntry>> store_flags(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids,
                                           FlagMode mode, std::uint32_t flags,
                                           const std::vector<std::string>& keywords) {
  TERN_TRY(check_flags(flags));
  TERN_TRY_ASSIGN(auto given, normalize_keywords(keywords));
  TERN_TRY(require_mailbox(db, mailbox_id));
  std::vector<MailEntry> changed;
  for (std::uint32_t uid : sorted_unique(std::move(uids))) {
    std::optional<MailEntry> entry;
    {
      TERN_TRY_ASSIGN(auto row, db.query(std::string(select_entry) + " WHERE e.mailbox_id = ?1 AND e.uid = ?2",
                                         mailbox_id, uid));
      TERN_TRY_ASSIGN(bool has_row, row.step());
      if (has_row) entry = entry_from(row);
    }
    if (!entry) continue;  // expunged meanwhile: nothing to change (RFC 9051 6.4.6)

    std::uint32_t new_flags = entry->flags;
    std::vector<std::string> new_keywords;
    const auto& old_keywords = entry->keywords;  // sorted: written by join_keywords
    switch (mode) {
      case FlagMode::replace:
        new_flags = flags;
        new_keywords = given;
        break;
      case FlagMode::add:
        new_flags |= flags;
        std::set_union(old_keywords.begin(), old_keywords.end(), given.begin(), given.end(),
                       std::back_inserter(new_keywords));
        break;
      case FlagMode::remove:
        new_flags &= ~flags;
        std::set_difference(old_keywords.begin(), old_keywords.end(), given.begin(), given.end(),
                            std::back_inserter(new_keywords));
        break;
    }
    if (new_flags == entry->flags && new_keywords == old_keywords) continue;

    TERN_TRY_ASSIGN(std::uint64_t modseq, next_modseq(db, mailbox_id));
    TERN_TRY(db.execute("UPDATE entries SET flags = ?1, keywords = ?2, modseq = ?3 WHERE mailbox_id = ?4 AND uid = ?5",
                        new_flags, join_keywords(new_keywords), modseq, mailbox_id, uid));
    entry->flags = new_flags;
    entry->keywords = std::move(new_keywords);
    entry->modseq = modseq;
    changed.push_back(std::move(*entry));
  }
  return changed;
}

Result<std::vector<std::uint32_t>> remove_entries(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids) {
  std::vector<std::uint32_t> removed;
  for (std::uint32_t uid : sorted_unique(std::move(uids))) {
    // The entries' trigger deletes the message once nothing refers to it.
    TERN_TRY(db.execute("DELETE FROM entries WHERE mailbox_id = ?1 AND uid = ?2", mailbox_id, uid));
    if (db.changes() > 0) removed.push_back(uid);
  }
  if (removed.empty()) return removed;
  TERN_TRY_ASSIGN(std::uint64_t modseq, next_modseq(db, mailbox_id));
  TERN_TRY(record_vanished(db, mailbox_id, removed, modseq));
  return removed;
}

Result<void> record_vanished(Connection& db, Id mailbox_id, const std::vector<std::uint32_t>& uids,
                             std::uint64_t modseq) {
  for (std::uint32_t uid : uids) {
    TERN_TRY(db.execute("INSERT OR REPLACE INTO vanished (mailbox_id, uid, modseq) VALUES (?1, ?2, ?3)", mailbox_id,
                        uid, modseq));
  }
  // Bounded: past the limit the oldest go, and vanished_floor says up to
  // which MODSEQ the list is no longer complete (RFC 7162 3.2.5.2 lets the
  // client fall back to its known UIDs).
  TERN_TRY_ASSIGN(auto cut, db.scalar("SELECT modseq FROM vanished WHERE mailbox_id = ?1 "
                                      "ORDER BY modseq DESC LIMIT 1 OFFSET ?2",
                                      mailbox_id, vanished_limit));
  if (!cut) return {};
  TERN_TRY(db.execute("DELETE FROM vanished WHERE mailbox_id = ?1 AND modseq <= ?2", mailbox_id, *cut));
  return db.execute("UPDATE mailboxes SET vanished_floor = MAX(vanished_floor, ?2) WHERE id = ?1", mailbox_id, *cut);
}

Result<std::vector<std::uint32_t>> expunge(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids) {
  TERN_TRY(require_mailbox(db, mailbox_id));
  return remove_entries(db, mailbox_id, std::move(uids));
}

Result<std::string> message_structure(Connection& db, Id message_id) {
  {
    TERN_TRY_ASSIGN(auto row, db.query("SELECT structure FROM message_structures WHERE message_id = ?1", message_id));
    TERN_TRY_ASSIGN(bool has_row, row.step());
    if (has_row) return row.blob(0);
  }
  // Stored before schema version 3: computed from the bytes on this reader
  // (a read-only connection cannot keep it; such messages are few and age out).
  TERN_TRY_ASSIGN(std::string data, read_message(db, message_id));
  return analyze_for_store(data);
}

Result<MessageForFetch> message_for_fetch(Connection& db, Id message_id) {
  MessageForFetch out;
  TERN_TRY_ASSIGN(out.data, read_message(db, message_id));
  TERN_TRY_ASSIGN(out.structure, message_structure(db, message_id));
  return out;
}

}  // namespace tern::store::sqlite::ops
