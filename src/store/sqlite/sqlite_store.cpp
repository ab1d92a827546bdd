// SqliteStore: opening the database (directory, pragmas, migrations, threads)
// and each Store method as one job on the writer or a reader.
#include "store/sqlite/sqlite_store.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/log.hpp"
#include "store/sqlite/operations.hpp"
#include "store/sqlite/schema.hpp"

namespace tern::store::sqlite {

namespace {

Result<void> prepare_directory(const std::string& data_dir) {
  namespace fs = std::filesystem;
  if (data_dir.empty()) return make_error(Errc::invalid, "data_dir is not set");
  std::error_code ec;
  if (fs::is_directory(data_dir, ec)) return {};
  if (fs::exists(data_dir, ec)) return make_error(Errc::invalid, fmt::format("{} is not a directory", data_dir));
  fs::create_directories(data_dir, ec);
  if (ec) return make_error(Errc::io, fmt::format("cannot create {}: {}", data_dir, ec.message()));
  // Mail is private: only the owner may enter the directory we created.
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return make_error(Errc::io, fmt::format("cannot restrict {}: {}", data_dir, ec.message()));
  return {};
}

// Creates the database file owner-only before SQLite does; SQLite gives its
// -wal and -shm files the same permissions as the database file.
Result<void> prepare_database_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  ::close(fd);
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  TERN_TRY(prepare_directory(options.data_dir));
  std::string path = (std::filesystem::path(options.data_dir) / "tern.db").string();

  TERN_TRY(prepare_database_file(path));
  TERN_TRY_ASSIGN(auto writer_db, Connection::open(path));
  TERN_TRY_ASSIGN(std::int64_t version, migrate(*writer_db, migrations()));

  std::vector<std::unique_ptr<Connection>> reader_dbs;
  unsigned readers = options.reader_threads == 0 ? 1 : options.reader_threads;
  for (unsigned i = 0; i < readers; ++i) {
    TERN_TRY_ASSIGN(auto reader_db, Connection::open(path, ConnectionOptions{.query_only = true}));
    reader_dbs.push_back(std::move(reader_db));
  }
  log::info("event=store_open backend=sqlite path={} schema_version={} readers={}", log::kv(path), version, readers);
  auto hub = std::make_shared<ChangeHub>();
  auto writer = std::make_unique<Writer>(std::move(writer_db), options.batch_limit,
                                         [hub](const std::vector<std::int64_t>& changed) { hub->notify(changed); });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(path), std::move(hub), std::move(writer),
                                                      std::make_unique<ReaderPool>(std::move(reader_dbs))));
}

SqliteStore::SqliteStore(std::string path, std::shared_ptr<ChangeHub> hub, std::unique_ptr<Writer> writer,
                         std::unique_ptr<ReaderPool> readers)
    : path_(std::move(path)), hub_(std::move(hub)), writer_(std::move(writer)), readers_(std::move(readers)) {}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::close() {
  std::call_once(closed_, [this] {
    // Writes first: everything already queued is committed and completed.
    writer_->stop();
    readers_->stop();
    log::info("event=store_closed backend=sqlite path={}", log::kv(path_));
  });
}

// ---- domains ----

Task<Domain> SqliteStore::add_domain(std::string name) {
  return write<Domain>([name = std::move(name)](Connection& db) { return ops::add_domain(db, name); });
}

Task<void> SqliteStore::remove_domain(std::string name) {
  return write<void>([name = std::move(name)](Connection& db) { return ops::remove_domain(db, name); });
}

Task<std::vector<DkimKey>> SqliteStore::list_dkim_keys(std::string domain) {
  return read<std::vector<DkimKey>>(
      [domain = std::move(domain)](Connection& db) { return ops::list_dkim_keys(db, domain); });
}

Task<DkimKey> SqliteStore::add_dkim_key(DkimKey key) {
  return write<DkimKey>([key = std::move(key)](Connection& db) { return ops::add_dkim_key(db, key); });
}

Task<void> SqliteStore::activate_dkim_keys(std::string domain) {
  return write<void>([domain = std::move(domain)](Connection& db) { return ops::activate_dkim_keys(db, domain); });
}

Task<std::vector<Domain>> SqliteStore::list_domains() {
  return read<std::vector<Domain>>([](Connection& db) { return ops::list_domains(db); });
}

Task<std::optional<Domain>> SqliteStore::find_domain(std::string name) {
  return read<std::optional<Domain>>([name = std::move(name)](Connection& db) { return ops::find_domain(db, name); });
}

// ---- accounts ----

Task<Account> SqliteStore::add_account(std::string address, std::string password_hash) {
  return write<Account>([address = std::move(address), hash = std::move(password_hash)](Connection& db) {
    return ops::add_account(db, address, hash);
  });
}

Task<void> SqliteStore::set_password(std::string address, std::string password_hash) {
  return write<void>([address = std::move(address), hash = std::move(password_hash)](Connection& db) {
    return ops::set_password(db, address, hash);
  });
}

Task<void> SqliteStore::remove_account(std::string address) {
  return write<void>([address = std::move(address)](Connection& db) { return ops::remove_account(db, address); });
}

Task<std::vector<Account>> SqliteStore::list_accounts() {
  return read<std::vector<Account>>([](Connection& db) { return ops::list_accounts(db); });
}

Task<std::optional<Account>> SqliteStore::find_account(std::string address) {
  return read<std::optional<Account>>(
      [address = std::move(address)](Connection& db) { return ops::find_account(db, address); });
}

// ---- aliases ----

Task<Alias> SqliteStore::add_alias(std::string address, std::vector<std::string> targets) {
  return write<Alias>([address = std::move(address), targets = std::move(targets)](Connection& db) {
    return ops::add_alias(db, address, targets);
  });
}

Task<void> SqliteStore::remove_alias(std::string address) {
  return write<void>([address = std::move(address)](Connection& db) { return ops::remove_alias(db, address); });
}

Task<std::vector<Alias>> SqliteStore::list_aliases() {
  return read<std::vector<Alias>>([](Connection& db) { return ops::list_aliases(db); });
}

Task<Resolution> SqliteStore::resolve(std::string address) {
  return read<Resolution>([address = std::move(address)](Connection& db) { return ops::resolve(db, address); });
}

// ---- mailboxes ----

Task<std::vector<Mailbox>> SqliteStore::list_mailboxes(Id account_id) {
  return read<std::vector<Mailbox>>([account_id](Connection& db) { return ops::list_mailboxes(db, account_id); });
}

Task<std::optional<Mailbox>> SqliteStore::find_mailbox(Id account_id, std::string name) {
  return read<std::optional<Mailbox>>(
      [account_id, name = std::move(name)](Connection& db) { return ops::find_mailbox(db, account_id, name); });
}

Task<Mailbox> SqliteStore::create_mailbox(Id account_id, std::string name, std::string special_use) {
  return write<Mailbox>([account_id, name = std::move(name), special_use = std::move(special_use)](Connection& db) {
    return ops::create_mailbox(db, account_id, name, special_use);
  });
}

Task<void> SqliteStore::rename_mailbox(Id account_id, std::string old_name, std::string new_name) {
  return write<void>([account_id, old_name = std::move(old_name), new_name = std::move(new_name)](Connection& db) {
    return ops::rename_mailbox(db, account_id, old_name, new_name);
  });
}

Task<void> SqliteStore::delete_mailbox(Id account_id, std::string name) {
  return write<void>(
      [account_id, name = std::move(name)](Connection& db) { return ops::delete_mailbox(db, account_id, name); });
}

Task<void> SqliteStore::set_subscribed(Id account_id, std::string name, bool subscribed) {
  return write<void>([account_id, name = std::move(name), subscribed](Connection& db) {
    return ops::set_subscribed(db, account_id, name, subscribed);
  });
}

Task<MailboxStatus> SqliteStore::mailbox_status(Id account_id, Id mailbox_id) {
  return read<MailboxStatus>(
      [account_id, mailbox_id](Connection& db) { return ops::mailbox_status(db, account_id, mailbox_id); });
}

Task<std::uint32_t> SqliteStore::claim_recent(Id mailbox_id, std::uint32_t up_to) {
  return write<std::uint32_t>([mailbox_id, up_to](Connection& db) { return ops::claim_recent(db, mailbox_id, up_to); });
}

// ---- messages ----

Task<DeliveryResult> SqliteStore::deliver(Delivery delivery) {
  return write<DeliveryResult>(
      [delivery = std::move(delivery)](Connection& db) { return ops::deliver(db, delivery); });
}

Task<Placement> SqliteStore::append(Id mailbox_id, NewMessage message, std::uint32_t flags,
                                    std::vector<std::string> keywords) {
  return write<Placement>(
      [mailbox_id, message = std::move(message), flags, keywords = std::move(keywords)](Connection& db) {
        return ops::append(db, mailbox_id, message, flags, keywords);
      });
}

Task<std::vector<MailEntry>> SqliteStore::list_entries(Id mailbox_id) {
  return read<std::vector<MailEntry>>([mailbox_id](Connection& db) { return ops::list_entries(db, mailbox_id); });
}

Task<std::string> SqliteStore::read_message(Id message_id) {
  return read<std::string>([message_id](Connection& db) { return ops::read_message(db, message_id); });
}

Task<std::string> SqliteStore::read_message_part(Id message_id, std::uint64_t offset, std::size_t length) {
  return read<std::string>([message_id, offset, length](Connection& db) {
    return db.read_blob("messages", "data", message_id, offset, length);
  });
}

Task<MessageMeta> SqliteStore::message_meta(Id message_id) {
  return read<MessageMeta>([message_id](Connection& db) { return ops::message_meta(db, message_id); });
}

Task<std::string> SqliteStore::message_structure(Id message_id) {
  return read<std::string>([message_id](Connection& db) { return ops::message_structure(db, message_id); });
}

Task<MessageForFetch> SqliteStore::message_for_fetch(Id message_id) {
  return read<MessageForFetch>([message_id](Connection& db) { return ops::message_for_fetch(db, message_id); });
}

Task<std::vector<MessageForFetch>> SqliteStore::messages_for_fetch(std::vector<Id> message_ids, bool with_data) {
  return read<std::vector<MessageForFetch>>(
      [message_ids = std::move(message_ids), with_data](Connection& db) -> Result<std::vector<MessageForFetch>> {
        std::vector<MessageForFetch> out;
        out.reserve(message_ids.size());
        for (Id id : message_ids) {
          if (with_data) {
            auto loaded = ops::message_for_fetch(db, id);
            if (loaded) out.push_back(std::move(*loaded));
            else if (loaded.error().code == Errc::not_found) out.emplace_back();
            else return std::move(loaded).error();
          } else {
            auto structure = ops::message_structure(db, id);
            out.emplace_back();
            if (structure) out.back().structure = std::move(*structure);
            else if (structure.error().code != Errc::not_found) return std::move(structure).error();
          }
        }
        return out;
      });
}

Task<std::vector<std::optional<std::string>>> SqliteStore::message_headers(std::vector<Id> message_ids) {
  using Headers = std::vector<std::optional<std::string>>;
  return read<Headers>([message_ids = std::move(message_ids)](Connection& db) -> Result<Headers> {
        Headers out;
        out.reserve(message_ids.size());
        for (Id id : message_ids) {
          auto header = ops::message_header(db, id);
          if (header) out.push_back(std::move(*header));
          else if (header.error().code == Errc::not_found) out.emplace_back();
          else return std::move(header).error();
        }
        return out;
      });
}

Task<std::vector<MailEntry>> SqliteStore::store_flags(Id mailbox_id, std::vector<std::uint32_t> uids, FlagMode mode,
                                                      std::uint32_t flags, std::vector<std::string> keywords) {
  return write<std::vector<MailEntry>>(
      [mailbox_id, uids = std::move(uids), mode, flags, keywords = std::move(keywords)](Connection& db) {
        return ops::store_flags(db, mailbox_id, uids, mode, flags, keywords);
      });
}

Task<std::vector<std::uint32_t>> SqliteStore::expunge(Id mailbox_id, std::vector<std::uint32_t> uids) {
  return write<std::vector<std::uint32_t>>(
      [mailbox_id, uids = std::move(uids)](Connection& db) { return ops::expunge(db, mailbox_id, uids); });
}

Task<std::vector<UidMapping>> SqliteStore::copy_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                                        Id to_mailbox) {
  return write<std::vector<UidMapping>>(
      [account_id, from_mailbox, uids = std::move(uids), to_mailbox](Connection& db) {
        return ops::copy_entries(db, account_id, from_mailbox, uids, to_mailbox);
      });
}

Task<std::vector<UidMapping>> SqliteStore::move_entries(Id account_id, Id from_mailbox, std::vector<std::uint32_t> uids,
                                                        Id to_mailbox) {
  return write<std::vector<UidMapping>>(
      [account_id, from_mailbox, uids = std::move(uids), to_mailbox](Connection& db) {
        return ops::move_entries(db, account_id, from_mailbox, uids, to_mailbox);
      });
}

Task<MailboxChanges> SqliteStore::changes_since(Id account_id, Id mailbox_id, std::uint64_t modseq) {
  return read<MailboxChanges>([account_id, mailbox_id, modseq](Connection& db) {
    return ops::changes_since(db, account_id, mailbox_id, modseq);
  });
}

// ---- queue ----

Task<std::vector<QueueEntry>> SqliteStore::queue_list() {
  return read<std::vector<QueueEntry>>([](Connection& db) { return ops::queue_list(db); });
}

Task<std::optional<QueueEntry>> SqliteStore::queue_get(Id id) {
  return read<std::optional<QueueEntry>>([id](Connection& db) { return ops::queue_get(db, id); });
}

Task<void> SqliteStore::queue_remove(Id id) {
  return write<void>([id](Connection& db) { return ops::queue_remove(db, id); });
}

Task<std::uint32_t> SqliteStore::queue_retry(std::optional<Id> id, UnixTime now) {
  return write<std::uint32_t>([id, now](Connection& db) { return ops::queue_retry(db, id, now); });
}

Task<std::vector<QueueEntry>> SqliteStore::queue_claim(std::string owner, UnixTime now, UnixTime lease_until,
                                                       std::uint32_t limit) {
  return write<std::vector<QueueEntry>>([owner = std::move(owner), now, lease_until, limit](Connection& db) {
    return ops::queue_claim(db, owner, now, lease_until, limit);
  });
}

Task<std::uint32_t> SqliteStore::queue_release(std::string owner) {
  return write<std::uint32_t>([owner = std::move(owner)](Connection& db) { return ops::queue_release(db, owner); });
}

Task<void> SqliteStore::queue_record_attempt(QueueAttempt attempt) {
  return write<void>(
      [attempt = std::move(attempt)](Connection& db) { return ops::queue_record_attempt(db, attempt); });
}

}  // namespace tern::store::sqlite
