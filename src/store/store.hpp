// The Store interface: everything tern keeps, behind one API that every back
// end implements (SQLite embedded, PostgreSQL later). Every call is a
// coroutine: the back end runs the work on its own threads, never on the
// caller's (network) thread. A write has completed only when it is durable:
// a caller that sees success may acknowledge to the client (DESIGN.md rule 1).
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/types.hpp"

namespace tern::store {

template <class T>
using Task = asio::awaitable<Result<T>>;

class Store {
 public:
  virtual ~Store() = default;

  // ---- domains ----
  virtual Task<Domain> add_domain(std::string name) = 0;
  // Fails with Errc::conflict while accounts or aliases of the domain exist.
  virtual Task<void> remove_domain(std::string name) = 0;
  virtual Task<std::vector<Domain>> list_domains() = 0;
  virtual Task<std::optional<Domain>> find_domain(std::string name) = 0;

  // ---- accounts ----
  // Creates the account with INBOX, Sent, Drafts, Trash, Junk and Archive.
  // Errc::not_found when the domain is not ours, Errc::already_exists on a duplicate.
  virtual Task<Account> add_account(std::string address, std::string password_hash) = 0;
  virtual Task<void> set_password(std::string address, std::string password_hash) = 0;
  // Removes the account, its mailboxes and entries; blobs no longer referenced go too.
  virtual Task<void> remove_account(std::string address) = 0;
  virtual Task<std::vector<Account>> list_accounts() = 0;
  virtual Task<std::optional<Account>> find_account(std::string address) = 0;

  // ---- aliases ----
  virtual Task<Alias> add_alias(std::string address, std::vector<std::string> targets) = 0;
  virtual Task<void> remove_alias(std::string address) = 0;
  virtual Task<std::vector<Alias>> list_aliases() = 0;
  // Accounts first, then aliases (recursively, loops cut), then the catch-all.
  virtual Task<Resolution> resolve(std::string address) = 0;

  // ---- mailboxes ----
  virtual Task<std::vector<Mailbox>> list_mailboxes(Id account_id) = 0;
  virtual Task<std::optional<Mailbox>> find_mailbox(Id account_id, std::string name) = 0;
  virtual Task<Mailbox> create_mailbox(Id account_id, std::string name, std::string special_use) = 0;

  // ---- messages ----
  // One transaction: the blob once, an entry in each local target's mailbox,
  // and a queue entry for the outbound recipients.
  virtual Task<DeliveryResult> deliver(Delivery delivery) = 0;
  virtual Task<Placement> append(Id mailbox_id, NewMessage message, std::uint32_t flags,
                                 std::vector<std::string> keywords) = 0;
  // Entries in UID order.
  virtual Task<std::vector<MailEntry>> list_entries(Id mailbox_id) = 0;
  virtual Task<std::string> read_message(Id message_id) = 0;
  virtual Task<MessageMeta> message_meta(Id message_id) = 0;
  // Changes flags of the given UIDs; each changed entry gets a new MODSEQ. Returns the changed entries.
  virtual Task<std::vector<MailEntry>> store_flags(Id mailbox_id, std::vector<std::uint32_t> uids,
                                                   FlagMode mode, std::uint32_t flags,
                                                   std::vector<std::string> keywords) = 0;
  // Removes the given UIDs from the mailbox; returns the UIDs removed.
  virtual Task<std::vector<std::uint32_t>> expunge(Id mailbox_id, std::vector<std::uint32_t> uids) = 0;

  // ---- queue ----
  virtual Task<std::vector<QueueEntry>> queue_list() = 0;
  virtual Task<std::optional<QueueEntry>> queue_get(Id id) = 0;
  virtual Task<void> queue_remove(Id id) = 0;
  // Makes one entry (or all, when id is empty) due at `now`; returns how many.
  virtual Task<std::uint32_t> queue_retry(std::optional<Id> id, UnixTime now) = 0;
  // Leases up to `limit` entries due at `now` (next_attempt <= now) that no
  // one holds (or whose lease ran out) to `owner` until `lease_until`, oldest
  // due first. Two nodes never hold the same entry at once.
  virtual Task<std::vector<QueueEntry>> queue_claim(std::string owner, UnixTime now, UnixTime lease_until,
                                                    std::uint32_t limit) = 0;
  // Ends every lease `owner` holds (its deliveries were cut short: a
  // restart); those entries are delivered again. Returns how many.
  virtual Task<std::uint32_t> queue_release(std::string owner) = 0;
  // Records an attempt and ends the lease; the entry goes once no recipient
  // is pending. Errc::not_found when the entry was removed meanwhile,
  // Errc::conflict when `owner` no longer holds its lease (nothing recorded).
  virtual Task<void> queue_record_attempt(QueueAttempt attempt) = 0;

  // Waits for writes in flight, then closes the database.
  virtual void close() = 0;
};

struct StoreOptions {
  std::string backend = "sqlite";
  std::string data_dir;   // the SQLite file lives here as tern.db
  std::string url;        // for postgres
  unsigned reader_threads = 2;
};

// Opens (creating and migrating when needed) the configured back end.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace tern::store
