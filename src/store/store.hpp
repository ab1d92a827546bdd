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
#include "store/change_hub.hpp"
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

  // ---- DKIM keys ----
  // The keys of `domain` ("" for every domain), by domain, then selector.
  virtual Task<std::vector<DkimKey>> list_dkim_keys(std::string domain) = 0;
  // Errc::not_found when the domain is not ours, Errc::already_exists when
  // the selector is taken in that domain.
  virtual Task<DkimKey> add_dkim_key(DkimKey key) = 0;
  // Rotation's second step, in one transaction: the domain's active keys
  // retire and its pending keys become active. Errc::not_found when it has
  // no pending key.
  virtual Task<void> activate_dkim_keys(std::string domain) = 0;

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
  // Creates missing superior names too ("a/b/c" creates "a" and "a/b"; RFC 9051 6.3.4 SHOULD).
  virtual Task<Mailbox> create_mailbox(Id account_id, std::string name, std::string special_use) = 0;
  // RFC 9051 6.3.6. Inferiors ("old/...") are renamed with it; missing
  // superiors of the new name are created. Renaming INBOX creates the new
  // mailbox, moves every entry of INBOX into it (UIDs kept: the new mailbox
  // has its own UIDVALIDITY) and leaves INBOX empty; INBOX's inferiors stay.
  // Errc::not_found (no such mailbox), Errc::already_exists (target or one of
  // the renamed inferiors exists), Errc::invalid (into its own inferior).
  virtual Task<void> rename_mailbox(Id account_id, std::string old_name, std::string new_name) = 0;
  // RFC 9051 6.3.5: removes the mailbox and its entries. INBOX cannot be
  // deleted (Errc::invalid); a mailbox with inferiors is refused with
  // Errc::conflict (the IMAP layer answers [HASCHILDREN]) rather than kept
  // as \Noselect, so every name the store holds is a real mailbox.
  virtual Task<void> delete_mailbox(Id account_id, std::string name) = 0;
  // SUBSCRIBE / UNSUBSCRIBE of an existing mailbox (Errc::not_found otherwise).
  virtual Task<void> set_subscribed(Id account_id, std::string name, bool subscribed) = 0;
  // Errc::not_found when the mailbox is not the account's.
  virtual Task<MailboxStatus> mailbox_status(Id account_id, Id mailbox_id) = 0;
  // \Recent (RFC 3501 2.3.2): raises the mailbox's recent_uid to `up_to`
  // and returns what it was, atomically, so that the UIDs between the two
  // are recent to exactly one session (the caller).
  virtual Task<std::uint32_t> claim_recent(Id mailbox_id, std::uint32_t up_to) = 0;

  // ---- messages ----
  // Messages come from store::prepare_message (canonical bytes, meta, structure).
  // The methods below that take only a mailbox id do not check its account:
  // callers get mailbox ids solely from find_mailbox / list_mailboxes of the
  // authenticated account (DESIGN.md rule 5; see docs/store.md).
  //
  // One transaction: the blob once, an entry in each local target's mailbox,
  // and a queue entry for the outbound recipients.
  virtual Task<DeliveryResult> deliver(Delivery delivery) = 0;
  virtual Task<Placement> append(Id mailbox_id, NewMessage message, std::uint32_t flags,
                                 std::vector<std::string> keywords) = 0;
  // Entries in UID order.
  virtual Task<std::vector<MailEntry>> list_entries(Id mailbox_id) = 0;
  virtual Task<std::string> read_message(Id message_id) = 0;
  // Up to `length` octets of a stored message from `offset` (fewer at its
  // end, none past it): large messages are sent (POP3 RETR, IMAP FETCH of the
  // whole text) a bounded piece at a time. The default reads the whole
  // message and cuts it.
  virtual Task<std::string> read_message_part(Id message_id, std::uint64_t offset, std::size_t length);
  virtual Task<MessageMeta> message_meta(Id message_id) = 0;
  // The serialized mime::MessageStructure of a stored message (computed now
  // for messages stored before schema version 3).
  virtual Task<std::string> message_structure(Id message_id) = 0;
  // Bytes and structure in one read.
  virtual Task<MessageForFetch> message_for_fetch(Id message_id) = 0;
  // Several at once (one trip to the store's threads for a FETCH or SEARCH
  // over many messages), in the order asked; the bytes only when
  // `with_data`. A message that no longer exists comes back with an empty
  // structure. The default asks one by one.
  virtual Task<std::vector<MessageForFetch>> messages_for_fetch(std::vector<Id> message_ids, bool with_data);
  // The header sections (up to and including the empty line) of several
  // messages, in the order asked; nullopt for a message that no longer
  // exists. For SEARCH keys that look only at header fields. The default
  // reads whole messages and cuts them.
  virtual Task<std::vector<std::optional<std::string>>> message_headers(std::vector<Id> message_ids);
  // Changes flags of the given UIDs; each changed entry gets a new MODSEQ. Returns the changed entries.
  virtual Task<std::vector<MailEntry>> store_flags(Id mailbox_id, std::vector<std::uint32_t> uids,
                                                   FlagMode mode, std::uint32_t flags,
                                                   std::vector<std::string> keywords) = 0;
  // Removes the given UIDs from the mailbox; returns the UIDs removed.
  // The removed UIDs are remembered with the expunge's MODSEQ for changes_since.
  virtual Task<std::vector<std::uint32_t>> expunge(Id mailbox_id, std::vector<std::uint32_t> uids) = 0;
  // COPY (RFC 9051 6.4.7): new entries in `to_mailbox` for the given UIDs that
  // exist, with their flags and keywords, sharing the stored message; the
  // mapping in source UID order (COPYUID, RFC 4315). Both mailboxes must be
  // the account's (Errc::not_found).
  virtual Task<std::vector<UidMapping>> copy_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                                     Id to_mailbox) = 0;
  // MOVE (RFC 6851): copy and expunge in one transaction. Errc::invalid when
  // both mailboxes are the same.
  virtual Task<std::vector<UidMapping>> move_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                                     Id to_mailbox) = 0;
  // What changed in the mailbox after `modseq` (RFC 7162): how a session
  // learns what other sessions and deliveries did.
  virtual Task<MailboxChanges> changes_since(Id account_id, Id mailbox_id, std::uint64_t modseq) = 0;

  // Fired after each committed write that touched a mailbox.
  virtual ChangeHub& change_hub() = 0;

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
