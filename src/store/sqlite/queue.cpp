// The outbound queue in the SQLite back end: one entry per accepted message
// with remote recipients, holding the envelope (RFC 5321 3.3), the DSN
// parameters (RFC 3461 4: ENVID, RET, ORCPT, NOTIFY) and the retry state.
// Removing an entry drops its message once no mailbox refers to it either.
#include <fmt/format.h>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

constexpr std::string_view select_queue_entry =
    "SELECT q.id, q.message_id, q.sender, q.envid, q.ret, q.smtputf8, q.eight_bit, q.auth_user, q.created, "
    "q.next_attempt, q.attempts, q.last_error, m.size, q.warned, q.lease_owner, q.lease_until "
    "FROM queue_entries q JOIN messages m ON m.id = q.message_id";

std::string_view state_name(RecipientState state) {
  switch (state) {
    case RecipientState::pending: return "pending";
    case RecipientState::delivered: return "delivered";
    case RecipientState::failed: return "failed";
  }
  return "pending";
}

RecipientState state_from(std::string_view name) {
  if (name == "delivered") return RecipientState::delivered;
  if (name == "failed") return RecipientState::failed;
  return RecipientState::pending;
}

QueueEntry queue_entry_from(const Statement& row) {
  QueueEntry out;
  out.id = row.integer(0);
  out.message_id = row.integer(1);
  out.spec.sender = row.text(2);
  out.spec.envid = row.text(3);
  out.spec.ret = row.text(4);
  out.spec.smtputf8 = row.boolean(5);
  out.spec.eight_bit = row.boolean(6);
  out.spec.auth_user = row.text(7);
  out.created = row.integer(8);
  out.next_attempt = row.integer(9);
  out.attempts = row.u32(10);
  out.last_error = row.text(11);
  out.size = row.u64(12);
  out.warned = row.boolean(13);
  out.lease_owner = row.text(14);
  out.lease_until = row.integer(15);
  return out;
}

Result<void> load_recipients(Connection& db, QueueEntry& entry) {
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT address, orcpt, notify, state, last_reply FROM queue_recipients "
                                      "WHERE queue_id = ?1 ORDER BY position",
                                      entry.id));
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return {};
    QueueRecipient recipient;
    recipient.address = rows.text(0);
    recipient.orcpt = rows.text(1);
    recipient.notify = static_cast<std::uint8_t>(rows.integer(2));
    recipient.state = state_from(rows.text(3));
    recipient.last_reply = rows.text(4);
    entry.spec.recipients.push_back(std::move(recipient));
  }
}

Result<void> check_spec(const OutboundSpec& spec) {
  if (spec.recipients.empty()) return make_error(Errc::invalid, "a queue entry needs at least one recipient");
  if (spec.ret != "" && spec.ret != "FULL" && spec.ret != "HDRS") {
    return make_error(Errc::invalid, fmt::format("RET={} is neither FULL nor HDRS", spec.ret));
  }
  for (const auto& recipient : spec.recipients) {
    if (recipient.address.empty()) return make_error(Errc::invalid, "a queue recipient needs an address");
  }
  return {};
}

}  // namespace

Result<Id> insert_queue_entry(Connection& db, Id message_id, const OutboundSpec& spec, UnixTime now) {
  TERN_TRY(check_spec(spec));
  TERN_TRY(db.execute("INSERT INTO queue_entries (message_id, sender, envid, ret, smtputf8, eight_bit, auth_user, "
                      "created, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                      message_id, spec.sender, spec.envid, spec.ret, spec.smtputf8, spec.eight_bit, spec.auth_user,
                      now));
  Id id = db.last_insert_id();
  for (std::size_t i = 0; i < spec.recipients.size(); ++i) {
    const auto& recipient = spec.recipients[i];
    TERN_TRY(db.execute("INSERT INTO queue_recipients (queue_id, position, address, orcpt, notify, state, last_reply) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        id, i, recipient.address, recipient.orcpt, static_cast<std::uint32_t>(recipient.notify),
                        state_name(recipient.state), recipient.last_reply));
  }
  return id;
}

Result<std::vector<QueueEntry>> queue_list(Connection& db) {
  std::vector<QueueEntry> out;
  {
    TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_queue_entry) + " ORDER BY q.next_attempt, q.id"));
    while (true) {
      TERN_TRY_ASSIGN(bool has_row, rows.step());
      if (!has_row) break;
      out.push_back(queue_entry_from(rows));
    }
  }
  for (auto& entry : out) TERN_TRY(load_recipients(db, entry));
  return out;
}

Result<std::optional<QueueEntry>> queue_get(Connection& db, Id id) {
  std::optional<QueueEntry> out;
  {
    TERN_TRY_ASSIGN(auto row, db.query(std::string(select_queue_entry) + " WHERE q.id = ?1", id));
    TERN_TRY_ASSIGN(bool has_row, row.step());
    if (!has_row) return out;
    out = queue_entry_from(row);
  }
  TERN_TRY(load_recipients(db, *out));
  return out;
}

Result<void> queue_remove(Connection& db, Id id) {
  // Recipients go by cascade; the trigger drops the message when unreferenced.
  TERN_TRY(db.execute("DELETE FROM queue_entries WHERE id = ?1", id));
  if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("queue entry {} does not exist", id));
  return {};
}

Result<std::uint32_t> queue_retry(Connection& db, std::optional<Id> id, UnixTime now) {
  if (id) {
    TERN_TRY(db.execute("UPDATE queue_entries SET next_attempt = ?1 WHERE id = ?2", now, *id));
    if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("queue entry {} does not exist", *id));
  } else {
    TERN_TRY(db.execute("UPDATE queue_entries SET next_attempt = ?1", now));
  }
  return static_cast<std::uint32_t>(db.changes());
}

Result<std::vector<QueueEntry>> queue_claim(Connection& db, std::string_view owner, UnixTime now,
                                            UnixTime lease_until, std::uint32_t limit) {
  if (owner.empty()) return make_error(Errc::invalid, "a queue lease needs an owner");
  std::vector<Id> ids;
  {
    TERN_TRY_ASSIGN(auto rows, db.query("SELECT id FROM queue_entries WHERE next_attempt <= ?1 AND lease_until <= ?1 "
                                        "ORDER BY next_attempt, id LIMIT ?2",
                                        now, limit));
    while (true) {
      TERN_TRY_ASSIGN(bool has_row, rows.step());
      if (!has_row) break;
      ids.push_back(rows.integer(0));
    }
  }
  std::vector<QueueEntry> out;
  for (Id id : ids) {
    TERN_TRY(db.execute("UPDATE queue_entries SET lease_owner = ?1, lease_until = ?2 WHERE id = ?3", owner,
                        lease_until, id));
    TERN_TRY_ASSIGN(auto entry, queue_get(db, id));
    if (entry) out.push_back(std::move(*entry));
  }
  return out;
}

Result<std::uint32_t> queue_release(Connection& db, std::string_view owner) {
  TERN_TRY(db.execute("UPDATE queue_entries SET lease_owner = '', lease_until = 0 WHERE lease_owner = ?1", owner));
  return static_cast<std::uint32_t>(db.changes());
}

Result<void> queue_record_attempt(Connection& db, const QueueAttempt& attempt) {
  {
    TERN_TRY_ASSIGN(auto holder, db.query("SELECT lease_owner FROM queue_entries WHERE id = ?1", attempt.id));
    TERN_TRY_ASSIGN(bool exists, holder.step());
    if (!exists) return make_error(Errc::not_found, fmt::format("queue entry {} does not exist", attempt.id));
    if (holder.text(0) != attempt.owner)
      return make_error(Errc::conflict, fmt::format("queue entry {} is leased to '{}', not '{}'", attempt.id,
                                                    holder.text(0), attempt.owner));
  }
  bool pending = false;
  for (std::size_t i = 0; i < attempt.recipients.size(); ++i) {
    const auto& recipient = attempt.recipients[i];
    pending = pending || recipient.state == RecipientState::pending;
    TERN_TRY(db.execute("UPDATE queue_recipients SET state = ?1, last_reply = ?2 WHERE queue_id = ?3 AND position = ?4",
                        state_name(recipient.state), recipient.last_reply, attempt.id, i));
  }
  for (const auto& notice : attempt.notices) TERN_TRY(deliver(db, notice));
  if (!pending) {
    TERN_TRY(db.execute("DELETE FROM queue_entries WHERE id = ?1", attempt.id));
    return {};
  }
  TERN_TRY(db.execute("UPDATE queue_entries SET attempts = ?1, next_attempt = ?2, last_error = ?3, warned = ?4, "
                      "lease_owner = '', lease_until = 0 WHERE id = ?5",
                      attempt.attempts, attempt.next_attempt, attempt.last_error, attempt.warned, attempt.id));
  return {};
}

}  // namespace tern::store::sqlite::ops
