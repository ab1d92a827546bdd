// The embedded back end of Store: one SQLite database file, DATA_DIR/tern.db,
// in WAL mode. Reads run on a small pool of reader threads, writes on one
// writer thread that groups concurrent writes into one transaction (see
// workers.hpp); coroutines await the result and resume on their own executor.
#pragma once

#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "store/sqlite/async_job.hpp"
#include "store/sqlite/workers.hpp"
#include "store/store.hpp"

namespace tern::store::sqlite {

struct SqliteOptions {
  std::string data_dir;           // created (mode 0700) when missing
  unsigned reader_threads = 2;
  std::size_t batch_limit = 256;  // most write jobs in one transaction
};

class SqliteStore final : public Store {
 public:
  // Opens DATA_DIR/tern.db, creating and migrating it when needed.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;

  Task<Domain> add_domain(std::string name) override;
  Task<void> remove_domain(std::string name) override;
  Task<std::vector<Domain>> list_domains() override;
  Task<std::optional<Domain>> find_domain(std::string name) override;

  Task<std::vector<DkimKey>> list_dkim_keys(std::string domain) override;
  Task<DkimKey> add_dkim_key(DkimKey key) override;
  Task<void> activate_dkim_keys(std::string domain) override;

  Task<Account> add_account(std::string address, std::string password_hash) override;
  Task<void> set_password(std::string address, std::string password_hash) override;
  Task<void> remove_account(std::string address) override;
  Task<std::vector<Account>> list_accounts() override;
  Task<std::optional<Account>> find_account(std::string address) override;

  Task<Alias> add_alias(std::string address, std::vector<std::string> targets) override;
  Task<void> remove_alias(std::string address) override;
  Task<std::vector<Alias>> list_aliases() override;
  Task<Resolution> resolve(std::string address) override;

  Task<std::vector<Mailbox>> list_mailboxes(Id account_id) override;
  Task<std::optional<Mailbox>> find_mailbox(Id account_id, std::string name) override;
  Task<Mailbox> create_mailbox(Id account_id, std::string name, std::string special_use) override;
  Task<void> rename_mailbox(Id account_id, std::string old_name, std::string new_name) override;
  Task<void> delete_mailbox(Id account_id, std::string name) override;
  Task<void> set_subscribed(Id account_id, std::string name, bool subscribed) override;
  Task<MailboxStatus> mailbox_status(Id account_id, Id mailbox_id) override;
  Task<std::uint32_t> claim_recent(Id mailbox_id, std::uint32_t up_to) override;

  Task<DeliveryResult> deliver(Delivery delivery) override;
  Task<Placement> append(Id mailbox_id, NewMessage message, std::uint32_t flags,
                         std::vector<std::string> keywords) override;
  Task<std::vector<MailEntry>> list_entries(Id mailbox_id) override;
  Task<std::string> read_message(Id message_id) override;
  Task<std::string> read_message_part(Id message_id, std::uint64_t offset, std::size_t length) override;
  Task<MessageMeta> message_meta(Id message_id) override;
  Task<std::string> message_structure(Id message_id) override;
  Task<MessageForFetch> message_for_fetch(Id message_id) override;
  Task<std::vector<MessageForFetch>> messages_for_fetch(std::vector<Id> message_ids, bool with_data) override;
  Task<std::vector<std::optional<std::string>>> message_headers(std::vector<Id> message_ids) override;
  Task<std::vector<MailEntry>> store_flags(Id mailbox_id, std::vector<std::uint32_t> uids, FlagMode mode,
                                           std::uint32_t flags, std::vector<std::string> keywords) override;
  Task<std::vector<std::uint32_t>> expunge(Id mailbox_id, std::vector<std::uint32_t> uids) override;
  Task<std::vector<UidMapping>> copy_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                             Id to_mailbox) override;
  Task<std::vector<UidMapping>> move_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                             Id to_mailbox) override;
  Task<MailboxChanges> changes_since(Id account_id, Id mailbox_id, std::uint64_t modseq) override;

  ChangeHub& change_hub() override { return *hub_; }

  Task<std::vector<QueueEntry>> queue_list() override;
  Task<std::optional<QueueEntry>> queue_get(Id id) override;
  Task<void> queue_remove(Id id) override;
  Task<std::uint32_t> queue_retry(std::optional<Id> id, UnixTime now) override;
  Task<std::vector<QueueEntry>> queue_claim(std::string owner, UnixTime now, UnixTime lease_until,
                                            std::uint32_t limit) override;
  Task<std::uint32_t> queue_release(std::string owner) override;
  Task<void> queue_record_attempt(QueueAttempt attempt) override;

  void close() override;

  // Counters of the writer, e.g. to see that group commit happens.
  WriterStats stats() const { return writer_->stats(); }
  const std::string& path() const { return path_; }

 private:
  SqliteStore(std::string path, std::shared_ptr<ChangeHub> hub, std::unique_ptr<Writer> writer,
              std::unique_ptr<ReaderPool> readers);

  // Runs `work(Connection&) -> Result<T>` on the writer (in the next group
  // commit) or on a reader, and completes the awaiting coroutine with its result.
  template <class T, class Fn>
  Task<T> write(Fn work) {
    return submit<T>(*writer_, std::move(work));
  }
  template <class T, class Fn>
  Task<T> read(Fn work) {
    return submit<T>(*readers_, std::move(work));
  }
  template <class T, class Fn, class Queue>
  static Task<T> submit(Queue& queue, Fn work) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<T>)>(
        [&queue](auto handler, Fn fn) {
          queue.submit(std::make_unique<AsyncJob<T, Fn, decltype(handler)>>(std::move(fn), std::move(handler)));
        },
        asio::use_awaitable, std::move(work));
  }

  std::string path_;
  // Shared with the writer's commit listener, which fires it after each commit.
  std::shared_ptr<ChangeHub> hub_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<ReaderPool> readers_;
  std::once_flag closed_;
};

}  // namespace tern::store::sqlite
