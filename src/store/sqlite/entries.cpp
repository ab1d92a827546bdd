// COPY and MOVE of mailbox entries, and the changes a session has not seen,
// in the SQLite back end. A copy is a new entry pointing at the same stored
// message: no bytes are copied. MOVE (RFC 6851) is the copy and the expunge
// in one job, so one transaction: no client ever sees the message in both
// mailboxes or in neither. changes_since answers RFC 7162 CHANGEDSINCE and
// QRESYNC, and is how an IDLE session catches up after a ChangeHub signal.
#include <fmt/format.h>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

struct SourceEntry {
  std::uint32_t uid = 0;
  std::uint32_t flags = 0;
  std::string keywords;
  Id message_id = 0;
};

// The entries among `uids` that exist, in UID order.
Result<std::vector<SourceEntry>> existing_entries(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids) {
  std::vector<SourceEntry> out;
  for (std::uint32_t uid : sorted_unique(std::move(uids))) {
    TERN_TRY_ASSIGN(auto row, db.query("SELECT uid, flags, keywords, message_id FROM entries "
                                       "WHERE mailbox_id = ?1 AND uid = ?2",
                                       mailbox_id, uid));
    TERN_TRY_ASSIGN(bool has_row, row.step());
    if (has_row) out.push_back(SourceEntry{row.u32(0), row.u32(1), row.text(2), row.integer(3)});
  }
  return out;
}

Result<std::vector<UidMapping>> copy_existing(Connection& db, const std::vector<SourceEntry>& entries,
                                              Id to_mailbox) {
  std::vector<UidMapping> out;
  out.reserve(entries.size());
  for (const auto& entry : entries) {
    // RFC 9051 6.4.7: flags and internal date are kept (the date is the message's).
    TERN_TRY_ASSIGN(Placement placed, add_entry(db, to_mailbox, entry.message_id, entry.flags, entry.keywords));
    out.push_back(UidMapping{entry.uid, placed.uid});
  }
  return out;
}

}  // namespace

Result<std::vector<UidMapping>> copy_entries(Connection& db, Id account_id, Id from_mailbox,
                                             std::vector<std::uint32_t> uids, Id to_mailbox) {
  TERN_TRY(require_account_mailbox(db, account_id, from_mailbox));
  TERN_TRY(require_account_mailbox(db, account_id, to_mailbox));
  TERN_TRY_ASSIGN(auto entries, existing_entries(db, from_mailbox, std::move(uids)));
  return copy_existing(db, entries, to_mailbox);
}

Result<std::vector<UidMapping>> move_entries(Connection& db, Id account_id, Id from_mailbox,
                                             std::vector<std::uint32_t> uids, Id to_mailbox) {
  TERN_TRY(require_account_mailbox(db, account_id, from_mailbox));
  TERN_TRY(require_account_mailbox(db, account_id, to_mailbox));
  if (from_mailbox == to_mailbox) return make_error(Errc::invalid, "cannot move messages into their own mailbox");
  TERN_TRY_ASSIGN(auto entries, existing_entries(db, from_mailbox, std::move(uids)));
  // Copy first: the message keeps a reference throughout, so the trigger
  // that drops unreferenced messages never fires on it.
  TERN_TRY_ASSIGN(auto mapping, copy_existing(db, entries, to_mailbox));
  std::vector<std::uint32_t> moved;
  moved.reserve(mapping.size());
  for (const auto& pair : mapping) moved.push_back(pair.from_uid);
  TERN_TRY(remove_entries(db, from_mailbox, std::move(moved)));
  return mapping;
}

Result<MailboxChanges> changes_since(Connection& db, Id account_id, Id mailbox_id, std::uint64_t modseq) {
  TERN_TRY(require_account_mailbox(db, account_id, mailbox_id));
  MailboxChanges out;
  std::uint64_t floor = 0;
  {
    TERN_TRY_ASSIGN(auto row, db.query("SELECT highestmodseq, uidnext, vanished_floor FROM mailboxes WHERE id = ?1",
                                       mailbox_id));
    TERN_TRY_ASSIGN(bool has_row, row.step());
    if (!has_row) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
    out.highestmodseq = row.u64(0);
    out.uidnext = row.u32(1);
    floor = row.u64(2);
  }
  out.vanished_complete = modseq >= floor;
  {
    TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_entry) +
                                            " WHERE e.mailbox_id = ?1 AND e.modseq > ?2 ORDER BY e.uid",
                                        mailbox_id, modseq));
    while (true) {
      TERN_TRY_ASSIGN(bool has_row, rows.step());
      if (!has_row) break;
      out.changed.push_back(entry_from(rows));
    }
  }
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT uid FROM vanished WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid",
                                      mailbox_id, modseq));
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) break;
    out.vanished.push_back(rows.u32(0));
  }
  return out;
}

}  // namespace tern::store::sqlite::ops
