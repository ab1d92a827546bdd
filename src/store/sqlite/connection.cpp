// SQLite connection wrapper: opening with tern's pragmas, the per-connection
// statement cache and result-code mapping.
#include "store/sqlite/connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "core/log.hpp"

namespace tern::store::sqlite {

namespace {

Errc errc_for(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
      if (extended_code == SQLITE_CONSTRAINT_UNIQUE || extended_code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Errc::already_exists;
      }
      return Errc::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return Errc::unavailable;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Errc::invalid;
    case SQLITE_MISUSE:
    case SQLITE_ERROR:  // SQL logic error: a bug in our statements
      return Errc::internal;
    default:
      return Errc::io;
  }
}

}  // namespace

// ---- Statement ----

Statement::Statement(Connection* owner, std::string sql, sqlite3_stmt* handle) noexcept
    : owner_(owner), sql_(std::move(sql)), handle_(handle) {}

Statement::Statement(Statement&& other) noexcept
    : owner_(other.owner_),
      sql_(std::move(other.sql_)),
      handle_(std::exchange(other.handle_, nullptr)),
      bind_status_(other.bind_status_) {}

Statement::~Statement() {
  if (handle_ != nullptr) owner_->give_back(std::move(sql_), handle_);
}

void Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(handle_, index, value);
  if (rc != SQLITE_OK && bind_status_ == 0) bind_status_ = rc;
}

void Statement::bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(handle_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_ == 0) bind_status_ = rc;
}

void Statement::bind(int index, Blob value) {
  // A zero-length blob must still be a BLOB, not NULL: zeroblob gives that.
  int rc = value.bytes.empty()
               ? sqlite3_bind_zeroblob(handle_, index, 0)
               : sqlite3_bind_blob64(handle_, index, value.bytes.data(), value.bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_status_ == 0) bind_status_ = rc;
}

void Statement::bind(int index, ZeroBlob value) {
  int rc = sqlite3_bind_zeroblob64(handle_, index, value.size);
  if (rc != SQLITE_OK && bind_status_ == 0) bind_status_ = rc;
}

Result<bool> Statement::step() {
  if (bind_status_ != 0) return owner_->error(bind_status_, "binding parameters");
  int rc = sqlite3_step(handle_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return owner_->error(rc, sql_);
}

Result<void> Statement::run() {
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, step());
    if (!has_row) return {};
  }
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(handle_, column); }

std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(handle_, column);
  int size = sqlite3_column_bytes(handle_, column);
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

std::string Statement::blob(int column) const {
  const void* bytes = sqlite3_column_blob(handle_, column);
  int size = sqlite3_column_bytes(handle_, column);
  if (bytes == nullptr) return {};
  return std::string(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, const ConnectionOptions& options) {
  sqlite3* handle = nullptr;
  // NOMUTEX: each connection is used by one thread at a time, by construction.
  int rc = sqlite3_open_v2(path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return make_error(Errc::io, fmt::format("cannot open database {}: {}", path, message));
  }
  std::unique_ptr<Connection> connection(new Connection(handle));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);

  // WAL lets readers run beside the single writer; synchronous=FULL makes
  // every COMMIT durable before it returns (DESIGN.md rule 1).
  TERN_TRY_ASSIGN(auto mode, connection->query("PRAGMA journal_mode=WAL"));
  TERN_TRY_ASSIGN(bool has_row, mode.step());
  if (!has_row || mode.text(0) != "wal") {
    return make_error(Errc::io, fmt::format("database {} cannot use write-ahead logging", path));
  }
  TERN_TRY(connection->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  if (options.query_only) TERN_TRY(connection->exec("PRAGMA query_only=ON"));
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, handles] : idle_) {
    for (sqlite3_stmt* handle : handles) sqlite3_finalize(handle);
  }
  sqlite3_close_v2(handle_);
}

Result<void> Connection::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(errc_for(sqlite3_extended_errcode(handle_)), "database error: " + detail);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto found = idle_.find(key);
  if (found != idle_.end() && !found->second.empty()) {
    sqlite3_stmt* handle = found->second.back();
    found->second.pop_back();
    return Statement(this, std::move(key), handle);
  }
  sqlite3_stmt* handle = nullptr;
  int rc = sqlite3_prepare_v3(handle_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                              &handle, nullptr);
  if (rc != SQLITE_OK) return error(rc, key);
  return Statement(this, std::move(key), handle);
}

void Connection::give_back(std::string sql, sqlite3_stmt* handle) noexcept {
  sqlite3_reset(handle);
  sqlite3_clear_bindings(handle);
  try {
    idle_[std::move(sql)].push_back(handle);
  } catch (...) {
    sqlite3_finalize(handle);  // out of memory: drop it from the cache instead
  }
}

std::int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(handle_); }

std::int64_t Connection::changes() const { return sqlite3_changes64(handle_); }

bool Connection::in_transaction() const { return sqlite3_get_autocommit(handle_) == 0; }

Error Connection::error(int result_code, std::string_view context) const {
  int extended = sqlite3_extended_errcode(handle_);
  if ((extended & 0xff) != (result_code & 0xff)) extended = result_code;
  std::string message = sqlite3_errmsg(handle_);
  // The statement is for the operator's log; the error itself names only the failure.
  log::warn("event=store_statement_failed error={} statement={}", log::kv(message), log::kv(context));
  return make_error(errc_for(extended), "database error: " + message);
}

Result<void> Connection::write_blob(const char* table, const char* column, std::int64_t rowid, std::string_view bytes,
                                    std::size_t piece,
                                    const std::function<void(std::uint64_t, std::uint64_t)>& written) {
  sqlite3_blob* blob = nullptr;
  int rc = sqlite3_blob_open(handle_, "main", table, column, rowid, 1, &blob);
  if (rc != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return error(rc, "opening a blob for writing");
  }
  for (std::uint64_t offset = 0; offset < bytes.size(); offset += piece) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(piece, bytes.size() - offset));
    rc = sqlite3_blob_write(blob, bytes.data() + offset, static_cast<int>(n), static_cast<int>(offset));
    if (rc != SQLITE_OK) {
      Error failed = error(rc, "writing a blob");
      sqlite3_blob_close(blob);
      return failed;
    }
    if (written) written(offset, n);
  }
  rc = sqlite3_blob_close(blob);
  if (rc != SQLITE_OK) return error(rc, "closing a blob");
  return {};
}

Result<std::string> Connection::read_blob(const char* table, const char* column, std::int64_t rowid,
                                          std::uint64_t offset, std::size_t length) {
  sqlite3_blob* blob = nullptr;
  int rc = sqlite3_blob_open(handle_, "main", table, column, rowid, 0, &blob);
  if (rc != SQLITE_OK) {
    sqlite3_blob_close(blob);
    if (rc == SQLITE_ERROR) return make_error(Errc::not_found, fmt::format("{} {} does not exist", table, rowid));
    return error(rc, "opening a blob for reading");
  }
  const auto size = static_cast<std::uint64_t>(sqlite3_blob_bytes(blob));
  std::string out;
  if (offset < size) {
    out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(length, size - offset)));
    rc = sqlite3_blob_read(blob, out.data(), static_cast<int>(out.size()), static_cast<int>(offset));
    if (rc != SQLITE_OK) {
      Error failed = error(rc, "reading a blob");
      sqlite3_blob_close(blob);
      return failed;
    }
  }
  sqlite3_blob_close(blob);
  return out;
}

}  // namespace tern::store::sqlite
