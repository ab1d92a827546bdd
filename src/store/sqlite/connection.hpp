// A thin, error-as-value wrapper over one SQLite connection: prepared
// statements (cached per SQL text, so hot statements are compiled once per
// connection), binding, stepping, and the mapping of SQLite result codes to
// tern's Errc. Used only by the SQLite back end's own threads: a Connection
// belongs to exactly one thread at a time and is never shared.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

// Propagation helpers for functions returning Result<...>: on failure, return
// the error to the caller.
#define TERN_SQL_CONCAT_(a, b) a##b
#define TERN_SQL_CONCAT(a, b) TERN_SQL_CONCAT_(a, b)
#define TERN_TRY(expr)                                                     \
  do {                                                                     \
    auto tern_try_result_ = (expr);                                        \
    if (!tern_try_result_) return std::move(tern_try_result_).error();     \
  } while (0)
#define TERN_TRY_ASSIGN(lhs, expr) TERN_TRY_ASSIGN_(TERN_SQL_CONCAT(tern_try_, __LINE__), lhs, expr)
#define TERN_TRY_ASSIGN_(tmp, lhs, expr)              \
  auto tmp = (expr);                                  \
  if (!tmp) return std::move(tmp).error();            \
  lhs = std::move(tmp).value()

namespace tern::store::sqlite {

class Connection;

// Bytes bound as a BLOB rather than TEXT.
struct Blob {
  std::string_view bytes;
};

// A BLOB of `size` zero octets, written afterwards with Connection::write_blob
// (SQLite's incremental blob I/O): no copy of the bytes is ever whole in memory.
struct ZeroBlob {
  std::uint64_t size = 0;
};

// One prepared statement borrowed from its connection's cache; handed back
// (reset, bindings cleared) when destroyed.
class Statement {
 public:
  Statement(Connection* owner, std::string sql, sqlite3_stmt* handle) noexcept;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds parameter `index` (1-based); a failure is reported by the next step().
  void bind(int index, std::int64_t value);
  void bind(int index, std::uint64_t value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, std::uint32_t value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, bool value) { bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, Blob value);
  void bind(int index, ZeroBlob value);

  // True while a row is available, false when done.
  Result<bool> step();
  // Steps until done, ignoring rows.
  Result<void> run();

  std::int64_t integer(int column) const;
  std::uint32_t u32(int column) const { return static_cast<std::uint32_t>(integer(column)); }
  std::uint64_t u64(int column) const { return static_cast<std::uint64_t>(integer(column)); }
  bool boolean(int column) const { return integer(column) != 0; }
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  Connection* owner_;
  std::string sql_;
  sqlite3_stmt* handle_;
  int bind_status_ = 0;  // first failing bind's result code, 0 when all bound
};

struct ConnectionOptions {
  bool query_only = false;  // reader connections refuse writes
  int busy_timeout_ms = 10000;
};

class Connection {
 public:
  // Opens (creating when missing) the database at `path` with the pragmas
  // every tern connection uses: WAL, synchronous=FULL, foreign keys on.
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const ConnectionOptions& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters.
  Result<void> exec(std::string_view sql);

  // A prepared statement with `args` bound to ?1, ?2, ...; not yet stepped.
  template <class... Args>
  Result<Statement> query(std::string_view sql, const Args&... args) {
    auto prepared = prepare(sql);
    if (!prepared) return std::move(prepared).error();
    int index = 1;
    (prepared->bind(index++, args), ...);
    return std::move(prepared).value();
  }

  // Runs a statement to completion.
  template <class... Args>
  Result<void> execute(std::string_view sql, const Args&... args) {
    TERN_TRY_ASSIGN(auto statement, query(sql, args...));
    return statement.run();
  }

  // The first column of the first row, or nullopt when there is no row.
  template <class... Args>
  Result<std::optional<std::int64_t>> scalar(std::string_view sql, const Args&... args) {
    TERN_TRY_ASSIGN(auto statement, query(sql, args...));
    TERN_TRY_ASSIGN(bool has_row, statement.step());
    if (!has_row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{statement.integer(0)};
  }

  // Writes `bytes` into the BLOB `column` of row `rowid` of `table` (made
  // with ZeroBlob of the same size), `piece` octets at a time; after each
  // piece, `written(offset, length)` may let go of what was read.
  Result<void> write_blob(const char* table, const char* column, std::int64_t rowid, std::string_view bytes,
                          std::size_t piece, const std::function<void(std::uint64_t, std::uint64_t)>& written);

  // Up to `length` octets of the BLOB `column` of row `rowid` from
  // `offset`, through incremental blob I/O (the rest of the row is not
  // read). Errc::not_found when the row does not exist.
  Result<std::string> read_blob(const char* table, const char* column, std::int64_t rowid, std::uint64_t offset,
                                std::size_t length);

  std::int64_t last_insert_id() const;
  std::int64_t changes() const;
  // False once a failure inside a transaction made SQLite roll it back.
  bool in_transaction() const;

  // The current error of this connection as a tern Error.
  Error error(int result_code, std::string_view context) const;

  // Mailboxes the writes of the open transaction changed, for the ChangeHub:
  // noted by the operations, dropped with a rolled-back job (back to a mark),
  // taken by the writer once the transaction committed.
  void note_mailbox_changed(std::int64_t mailbox_id) { changed_mailboxes_.push_back(mailbox_id); }
  std::size_t changed_mark() const { return changed_mailboxes_.size(); }
  void drop_changes_after(std::size_t mark) { changed_mailboxes_.resize(std::min(mark, changed_mailboxes_.size())); }
  std::vector<std::int64_t> take_changed_mailboxes() { return std::exchange(changed_mailboxes_, {}); }

 private:
  friend class Statement;
  explicit Connection(sqlite3* handle) noexcept : handle_(handle) {}
  Result<Statement> prepare(std::string_view sql);
  void give_back(std::string sql, sqlite3_stmt* handle) noexcept;

  sqlite3* handle_;
  std::vector<std::int64_t> changed_mailboxes_;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
};

}  // namespace tern::store::sqlite
