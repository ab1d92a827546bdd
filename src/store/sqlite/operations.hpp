// The SQLite back end's operations as plain synchronous functions over one
// connection. They run on the store's threads only, inside the transaction
// the caller (writer batch savepoint or reader snapshot) has opened; each one
// either succeeds whole or returns an error, and the caller rolls back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/connection.hpp"
#include "store/types.hpp"

namespace tern::store::sqlite::ops {

UnixTime now();

// ---- names (names.cpp) ----

// "local@Domain" -> "local@domain": the domain lower-cased, the local part as
// given (the admin layer has canonicalized it). "@domain" only when allowed.
Result<std::string> canonical_address(std::string_view address, bool allow_catch_all);
std::string domain_of(std::string_view canonical);
Result<std::string> canonical_domain(std::string_view name);
// Mailbox names: "INBOX" in any case is INBOX (RFC 9051 5.1); "/" separates levels.
Result<std::string> canonical_mailbox_name(std::string_view name);
Result<void> check_special_use(std::string_view special_use);
// IMAP keywords (RFC 9051 2.3.2: atoms, not starting with "\"), sorted, duplicates dropped.
Result<std::vector<std::string>> normalize_keywords(const std::vector<std::string>& keywords);
std::string join_keywords(const std::vector<std::string>& keywords);
std::vector<std::string> split_keywords(std::string_view joined);
Result<void> check_flags(std::uint32_t flags);

// ---- domains and accounts (directory.cpp) ----

Result<Domain> add_domain(Connection& db, std::string_view name);
Result<void> remove_domain(Connection& db, std::string_view name);
Result<std::vector<Domain>> list_domains(Connection& db);
Result<std::optional<Domain>> find_domain(Connection& db, std::string_view name);
Result<std::vector<DkimKey>> list_dkim_keys(Connection& db, std::string_view domain);
Result<DkimKey> add_dkim_key(Connection& db, const DkimKey& key);
Result<void> activate_dkim_keys(Connection& db, std::string_view domain);
Result<Account> add_account(Connection& db, std::string_view address, std::string_view password_hash);
Result<void> set_password(Connection& db, std::string_view address, std::string_view password_hash);
Result<void> remove_account(Connection& db, std::string_view address);
Result<std::vector<Account>> list_accounts(Connection& db);
Result<std::optional<Account>> find_account(Connection& db, std::string_view address);

// ---- aliases (aliases.cpp) ----

Result<Alias> add_alias(Connection& db, std::string_view address, const std::vector<std::string>& targets);
Result<void> remove_alias(Connection& db, std::string_view address);
Result<std::vector<Alias>> list_aliases(Connection& db);
Result<Resolution> resolve(Connection& db, std::string_view address);

// ---- mailboxes (mailboxes.cpp) ----

Result<std::vector<Mailbox>> list_mailboxes(Connection& db, Id account_id);
Result<std::optional<Mailbox>> find_mailbox(Connection& db, Id account_id, std::string_view name);
Result<Mailbox> create_mailbox(Connection& db, Id account_id, std::string_view name, std::string_view special_use);
// Creates the missing superior names of a canonical name (not the name itself).
Result<void> create_superiors(Connection& db, Id account_id, std::string_view canonical);
Result<Mailbox> insert_mailbox(Connection& db, Id account_id, const std::string& canonical,
                               std::string_view special_use);
Result<MailboxStatus> mailbox_status(Connection& db, Id account_id, Id mailbox_id);
Result<std::uint32_t> claim_recent(Connection& db, Id mailbox_id, std::uint32_t up_to);
Result<void> set_subscribed(Connection& db, Id account_id, std::string_view name, bool subscribed);

// ---- hierarchy (hierarchy.cpp) ----

Result<void> rename_mailbox(Connection& db, Id account_id, std::string_view old_name, std::string_view new_name);
Result<void> delete_mailbox(Connection& db, Id account_id, std::string_view name);
// INBOX, Sent, Drafts, Trash, Junk, Archive for a new account.
Result<void> create_default_mailboxes(Connection& db, Id account_id);

// ---- messages (messages.cpp) ----

// Helpers shared with entries.cpp.
extern const std::string_view select_entry;  // columns in the order entry_from reads
MailEntry entry_from(const Statement& row);
Result<void> require_mailbox(Connection& db, Id mailbox_id);
// Errc::not_found unless the mailbox exists and belongs to the account.
Result<void> require_account_mailbox(Connection& db, Id account_id, Id mailbox_id);
// A fresh MODSEQ of the mailbox (its new HIGHESTMODSEQ); notes the change.
Result<std::uint64_t> next_modseq(Connection& db, Id mailbox_id);
Result<Id> insert_message(Connection& db, const NewMessage& message);
// A new entry at the mailbox's next UID with a fresh MODSEQ; notes the change.
Result<Placement> add_entry(Connection& db, Id mailbox_id, Id message_id, std::uint32_t flags,
                            const std::string& keywords);
std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> uids);
// Deletes the entries that exist, remembers them as vanished at one new MODSEQ.
Result<std::vector<std::uint32_t>> remove_entries(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids);
// Remembers expunged UIDs (kept up to vanished_limit per mailbox).
inline constexpr std::int64_t vanished_limit = 10000;
Result<void> record_vanished(Connection& db, Id mailbox_id, const std::vector<std::uint32_t>& uids,
                             std::uint64_t modseq);

Result<DeliveryResult> deliver(Connection& db, const Delivery& delivery);
Result<Placement> append(Connection& db, Id mailbox_id, const NewMessage& message, std::uint32_t flags,
                         const std::vector<std::string>& keywords);
Result<std::vector<MailEntry>> list_entries(Connection& db, Id mailbox_id);
Result<std::string> read_message(Connection& db, Id message_id);
// The header section of a message (its first header_size octets).
Result<std::string> message_header(Connection& db, Id message_id);
Result<MessageMeta> message_meta(Connection& db, Id message_id);
Result<std::vector<MailEntry>> store_flags(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids,
                                           FlagMode mode, std::uint32_t flags,
                                           const std::vector<std::string>& keywords);
Result<std::vector<std::uint32_t>> expunge(Connection& db, Id mailbox_id, std::vector<std::uint32_t> uids);
Result<std::string> message_structure(Connection& db, Id message_id);
Result<MessageForFetch> message_for_fetch(Connection& db, Id message_id);

// ---- copy, move, changes (entries.cpp) ----

Result<std::vector<UidMapping>> copy_entries(Connection& db, Id account_id, Id from_mailbox,
                                             std::vector<std::uint32_t> uids, Id to_mailbox);
Result<std::vector<UidMapping>> move_entries(Connection& db, Id account_id, Id from_mailbox,
                                             std::vector<std::uint32_t> uids, Id to_mailbox);
Result<MailboxChanges> changes_since(Connection& db, Id account_id, Id mailbox_id, std::uint64_t modseq);

// ---- queue (queue.cpp) ----

// Adds a queue entry for an already stored message, due at `now`.
Result<Id> insert_queue_entry(Connection& db, Id message_id, const OutboundSpec& spec, UnixTime now);
Result<std::vector<QueueEntry>> queue_list(Connection& db);
Result<std::optional<QueueEntry>> queue_get(Connection& db, Id id);
Result<void> queue_remove(Connection& db, Id id);
Result<std::uint32_t> queue_retry(Connection& db, std::optional<Id> id, UnixTime now);
Result<std::vector<QueueEntry>> queue_claim(Connection& db, std::string_view owner, UnixTime now,
                                            UnixTime lease_until, std::uint32_t limit);
Result<std::uint32_t> queue_release(Connection& db, std::string_view owner);
Result<void> queue_record_attempt(Connection& db, const QueueAttempt& attempt);

}  // namespace tern::store::sqlite::ops
