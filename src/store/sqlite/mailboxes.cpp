// Mailboxes in the SQLite back end: names unique per account, special-use
// attributes (RFC 6154), and UIDVALIDITY (RFC 9051 2.3.1.1) taken from a
// per-database counter that starts at the clock and only ever grows, so a
// mailbox deleted and created again never reuses a UIDVALIDITY.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

constexpr std::string_view select_mailbox =
    "SELECT id, account_id, name, uidvalidity, uidnext, highestmodseq, subscribed, special_use, "
    "(SELECT COUNT(*) FROM entries e WHERE e.mailbox_id = mailboxes.id), recent_uid FROM mailboxes";

Mailbox mailbox_from(const Statement& row) {
  Mailbox out;
  out.id = row.integer(0);
  out.account_id = row.integer(1);
  out.name = row.text(2);
  out.uidvalidity = row.u32(3);
  out.uidnext = row.u32(4);
  out.highestmodseq = row.u64(5);
  out.subscribed = row.boolean(6);
  out.special_use = row.text(7);
  out.message_count = row.u32(8);
  out.recent_uid = row.u32(9);
  return out;
}

Result<std::uint32_t> next_uidvalidity(Connection& db) {
  TERN_TRY_ASSIGN(auto last, db.scalar("SELECT value FROM counters WHERE name = 'uidvalidity'"));
  std::int64_t next = std::max<std::int64_t>(last.value_or(0) + 1, now());
  if (next > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(Errc::conflict, "no UIDVALIDITY values are left in this database");
  }
  TERN_TRY(db.execute("INSERT INTO counters (name, value) VALUES ('uidvalidity', ?1) "
                      "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                      next));
  return static_cast<std::uint32_t>(next);
}

}  // namespace

Result<Mailbox> insert_mailbox(Connection& db, Id account_id, const std::string& name,
                               std::string_view special_use) {
  TERN_TRY_ASSIGN(std::uint32_t uidvalidity, next_uidvalidity(db));
  TERN_TRY(db.execute("INSERT INTO mailboxes (account_id, name, uidvalidity, special_use) VALUES (?1, ?2, ?3, ?4)",
                      account_id, name, uidvalidity, special_use));
  Mailbox out;
  out.id = db.last_insert_id();
  out.account_id = account_id;
  out.name = name;
  out.uidvalidity = uidvalidity;
  out.special_use = std::string(special_use);
  return out;
}

Result<std::vector<Mailbox>> list_mailboxes(Connection& db, Id account_id) {
  TERN_TRY_ASSIGN(auto account, db.scalar("SELECT id FROM accounts WHERE id = ?1", account_id));
  if (!account) return make_error(Errc::not_found, fmt::format("account {} does not exist", account_id));
  TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_mailbox) +
                                          " WHERE account_id = ?1 ORDER BY name = 'INBOX' DESC, name",
                                      account_id));
  std::vector<Mailbox> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    out.push_back(mailbox_from(rows));
  }
}

Result<std::optional<Mailbox>> find_mailbox(Connection& db, Id account_id, std::string_view name) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_mailbox_name(name));
  TERN_TRY_ASSIGN(auto row,
                  db.query(std::string(select_mailbox) + " WHERE account_id = ?1 AND name = ?2", account_id, canonical));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return std::optional<Mailbox>{};
  return std::optional<Mailbox>{mailbox_from(row)};
}

Result<Mailbox> create_mailbox(Connection& db, Id account_id, std::string_view name, std::string_view special_use) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_mailbox_name(name));
  TERN_TRY(check_special_use(special_use));
  TERN_TRY_ASSIGN(auto account, db.scalar("SELECT id FROM accounts WHERE id = ?1", account_id));
  if (!account) return make_error(Errc::not_found, fmt::format("account {} does not exist", account_id));
  TERN_TRY_ASSIGN(auto existing,
                  db.scalar("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2", account_id, canonical));
  if (existing) return make_error(Errc::already_exists, fmt::format("mailbox {} already exists", canonical));
  TERN_TRY(create_superiors(db, account_id, canonical));
  return insert_mailbox(db, account_id, canonical, special_use);
}

Result<void> create_superiors(Connection& db, Id account_id, std::string_view canonical) {
  for (auto slash = canonical.find('/'); slash != std::string_view::npos; slash = canonical.find('/', slash + 1)) {
    TERN_TRY_ASSIGN(std::string superior, canonical_mailbox_name(canonical.substr(0, slash)));
    TERN_TRY_ASSIGN(auto existing,
                    db.scalar("SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2", account_id, superior));
    if (!existing) TERN_TRY(insert_mailbox(db, account_id, superior, ""));
  }
  return {};
}

Result<MailboxStatus> mailbox_status(Connection& db, Id account_id, Id mailbox_id) {
  MailboxStatus out;
  std::uint32_t recent_uid = 0;
  {
    TERN_TRY_ASSIGN(auto row, db.query("SELECT uidnext, uidvalidity, highestmodseq, recent_uid FROM mailboxes "
                                       "WHERE id = ?1 AND account_id = ?2",
                                       mailbox_id, account_id));
    TERN_TRY_ASSIGN(bool has_row, row.step());
    if (!has_row) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
    out.uidnext = row.u32(0);
    out.uidvalidity = row.u32(1);
    out.highestmodseq = row.u64(2);
    recent_uid = row.u32(3);
  }
  {
    TERN_TRY_ASSIGN(auto recent, db.scalar("SELECT COUNT(*) FROM entries WHERE mailbox_id = ?1 AND uid > ?2",
                                           mailbox_id, recent_uid));
    out.recent = static_cast<std::uint32_t>(recent.value_or(0));
  }
  TERN_TRY_ASSIGN(auto row, db.query("SELECT COUNT(*), COALESCE(SUM((e.flags & ?2) = 0), 0), "
                                     "COALESCE(SUM((e.flags & ?3) != 0), 0), COALESCE(SUM(m.size), 0) "
                                     "FROM entries e JOIN messages m ON m.id = e.message_id WHERE e.mailbox_id = ?1",
                                     mailbox_id, flag::seen, flag::deleted));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (has_row) {
    out.messages = row.u32(0);
    out.unseen = row.u32(1);
    out.deleted = row.u32(2);
    out.size = row.u64(3);
  }
  return out;
}

Result<std::uint32_t> claim_recent(Connection& db, Id mailbox_id, std::uint32_t up_to) {
  TERN_TRY_ASSIGN(auto before, db.scalar("SELECT recent_uid FROM mailboxes WHERE id = ?1", mailbox_id));
  if (!before) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", mailbox_id));
  const auto was = static_cast<std::uint32_t>(*before);
  if (up_to > was) TERN_TRY(db.execute("UPDATE mailboxes SET recent_uid = ?1 WHERE id = ?2", up_to, mailbox_id));
  return was;
}

Result<void> set_subscribed(Connection& db, Id account_id, std::string_view name, bool subscribed) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_mailbox_name(name));
  TERN_TRY(db.execute("UPDATE mailboxes SET subscribed = ?1 WHERE account_id = ?2 AND name = ?3", subscribed,
                      account_id, canonical));
  if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("mailbox {} does not exist", canonical));
  return {};
}

Result<void> create_default_mailboxes(Connection& db, Id account_id) {
  struct Default {
    std::string_view name;
    std::string_view special_use;
  };
  static constexpr std::array<Default, 6> defaults{{{"INBOX", ""},
                                                    {"Sent", "\\Sent"},
                                                    {"Drafts", "\\Drafts"},
                                                    {"Trash", "\\Trash"},
                                                    {"Junk", "\\Junk"},
                                                    {"Archive", "\\Archive"}}};
  for (const auto& mailbox : defaults) {
    TERN_TRY(insert_mailbox(db, account_id, std::string(mailbox.name), mailbox.special_use));
  }
  return {};
}

}  // namespace tern::store::sqlite::ops
