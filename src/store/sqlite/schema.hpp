// Versioned schema of the SQLite back end. The version lives in
// PRAGMA user_version; migration N (1-based) turns version N-1 into N and
// runs in its own transaction together with the version bump, so a crash
// leaves the database at a whole version. A database written by a newer tern
// (version above what this binary knows) is refused rather than guessed at.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "store/sqlite/connection.hpp"

namespace tern::store::sqlite {

struct Migration {
  std::string_view description;
  std::string_view sql;
};

// The migrations of this binary, oldest first.
std::span<const Migration> migrations();

// The schema version a database has after all of `migrations()`.
std::int64_t latest_schema_version();

// Brings the database to the last version in `steps`, applying only the
// missing ones; Errc::invalid when the database is newer than `steps`.
Result<std::int64_t> migrate(Connection& db, std::span<const Migration> steps);

}  // namespace tern::store::sqlite
