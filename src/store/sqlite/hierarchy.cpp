// RENAME and DELETE of mailboxes (RFC 9051 6.3.5, 6.3.6) in the SQLite back
// end. The hierarchy separator is "/": a mailbox's inferiors are the names
// that start with its name and "/". Renaming keeps a mailbox's id and
// UIDVALIDITY (its UIDs stay valid), except for INBOX, whose messages move to
// a new mailbox while INBOX stays, empty, as RFC 9051 6.3.6 requires.
#include <fmt/format.h>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

bool is_inferior_of(std::string_view name, std::string_view superior) {
  return name.size() > superior.size() + 1 && name.substr(0, superior.size()) == superior &&
         name[superior.size()] == '/';
}

struct NamedMailbox {
  Id id = 0;
  std::string name;
};

Result<std::vector<NamedMailbox>> inferiors_of(Connection& db, Id account_id, const std::string& name) {
  // substr rather than LIKE: "_" is a LIKE wildcard that names may contain,
  // and LIKE folds ASCII case.
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT id, name FROM mailboxes WHERE account_id = ?1 "
                                      "AND substr(name, 1, ?2) = ?3 ORDER BY name",
                                      account_id, static_cast<std::int64_t>(name.size() + 1), name + "/"));
  std::vector<NamedMailbox> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    out.push_back(NamedMailbox{rows.integer(0), rows.text(1)});
  }
}

Result<std::optional<Id>> mailbox_named(Connection& db, Id account_id, const std::string& name) {
  return db.scalar("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2", account_id, name);
}

// RFC 9051 6.3.6: "renaming INBOX ... moves all messages in INBOX to a new
// mailbox with the given name, leaving INBOX empty"; its inferiors stay.
Result<void> rename_inbox(Connection& db, Id account_id, Id inbox, const std::string& new_name) {
  TERN_TRY(create_superiors(db, account_id, new_name));
  TERN_TRY_ASSIGN(Mailbox target, insert_mailbox(db, account_id, new_name, ""));
  std::vector<std::uint32_t> uids;
  {
    TERN_TRY_ASSIGN(auto rows, db.query("SELECT uid FROM entries WHERE mailbox_id = ?1 ORDER BY uid", inbox));
    while (true) {
      TERN_TRY_ASSIGN(bool has_row, rows.step());
      if (!has_row) break;
      uids.push_back(rows.u32(0));
    }
  }
  // The entries keep their UIDs and MODSEQs: the new mailbox has its own
  // UIDVALIDITY and starts where INBOX was. INBOX keeps its UIDNEXT, so
  // these UIDs are never given again there.
  TERN_TRY(db.execute("UPDATE entries SET mailbox_id = ?1 WHERE mailbox_id = ?2", target.id, inbox));
  TERN_TRY(db.execute("UPDATE mailboxes SET uidnext = (SELECT uidnext FROM mailboxes WHERE id = ?2), "
                      "highestmodseq = (SELECT highestmodseq FROM mailboxes WHERE id = ?2) WHERE id = ?1",
                      target.id, inbox));
  db.note_mailbox_changed(target.id);
  if (uids.empty()) return {};
  // For a session that has INBOX selected, the messages were expunged.
  TERN_TRY_ASSIGN(std::uint64_t modseq, next_modseq(db, inbox));
  return record_vanished(db, inbox, uids, modseq);
}

}  // namespace

Result<void> rename_mailbox(Connection& db, Id account_id, std::string_view old_name, std::string_view new_name) {
  TERN_TRY_ASSIGN(std::string from, canonical_mailbox_name(old_name));
  TERN_TRY_ASSIGN(std::string to, canonical_mailbox_name(new_name));
  TERN_TRY_ASSIGN(auto source, mailbox_named(db, account_id, from));
  if (!source) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", from));
  TERN_TRY_ASSIGN(auto taken, mailbox_named(db, account_id, to));
  if (taken) return make_error(Errc::already_exists, fmt::format("mailbox {} already exists", to));
  if (from == "INBOX") return rename_inbox(db, account_id, *source, to);
  if (is_inferior_of(to, from) || is_inferior_of(from, to)) {
    return make_error(Errc::invalid, fmt::format("cannot rename {} to {}: one is inside the other", from, to));
  }

  TERN_TRY_ASSIGN(auto inferiors, inferiors_of(db, account_id, from));
  for (const auto& inferior : inferiors) {
    std::string renamed = to + inferior.name.substr(from.size());
    TERN_TRY_ASSIGN(auto clash, mailbox_named(db, account_id, renamed));
    if (clash) return make_error(Errc::already_exists, fmt::format("mailbox {} already exists", renamed));
  }
  TERN_TRY(create_superiors(db, account_id, to));
  TERN_TRY(db.execute("UPDATE mailboxes SET name = ?1 WHERE id = ?2", to, *source));
  db.note_mailbox_changed(*source);
  for (const auto& inferior : inferiors) {
    TERN_TRY(db.execute("UPDATE mailboxes SET name = ?1 WHERE id = ?2", to + inferior.name.substr(from.size()),
                        inferior.id));
    db.note_mailbox_changed(inferior.id);
  }
  return {};
}

Result<void> delete_mailbox(Connection& db, Id account_id, std::string_view name) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_mailbox_name(name));
  if (canonical == "INBOX") return make_error(Errc::invalid, "INBOX cannot be deleted");
  TERN_TRY_ASSIGN(auto id, mailbox_named(db, account_id, canonical));
  if (!id) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", canonical));
  TERN_TRY_ASSIGN(auto inferiors, inferiors_of(db, account_id, canonical));
  if (!inferiors.empty()) {
    return make_error(Errc::conflict, fmt::format("mailbox {} has inferior mailboxes", canonical));
  }
  // Entries and vanished UIDs go by cascade; the entries' trigger drops
  // messages nothing else refers to.
  TERN_TRY(db.execute("DELETE FROM mailboxes WHERE id = ?1", *id));
  db.note_mailbox_changed(*id);
  return {};
}

}  // namespace tern::store::sqlite::ops
