// Domains and accounts in the SQLite back end. An address is either an
// account or an alias, never both; a domain goes only once it is empty.
#include <fmt/format.h>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

constexpr std::string_view select_domain = "SELECT id, name, created FROM domains";
constexpr std::string_view select_account = "SELECT id, domain_id, address, password_hash, created FROM accounts";

Domain domain_from(const Statement& row) { return Domain{row.integer(0), row.text(1), row.integer(2)}; }

Account account_from(const Statement& row) {
  return Account{row.integer(0), row.integer(1), row.text(2), row.text(3), row.integer(4)};
}

Result<std::optional<Id>> domain_id(Connection& db, const std::string& name) {
  return db.scalar("SELECT id FROM domains WHERE name = ?1", name);
}

}  // namespace

Result<Domain> add_domain(Connection& db, std::string_view name) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_domain(name));
  TERN_TRY_ASSIGN(auto existing, domain_id(db, canonical));
  if (existing) return make_error(Errc::already_exists, fmt::format("domain {} already exists", canonical));
  UnixTime created = now();
  TERN_TRY(db.execute("INSERT INTO domains (name, created) VALUES (?1, ?2)", canonical, created));
  return Domain{db.last_insert_id(), canonical, created};
}

Result<void> remove_domain(Connection& db, std::string_view name) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_domain(name));
  TERN_TRY_ASSIGN(auto id, domain_id(db, canonical));
  if (!id) return make_error(Errc::not_found, fmt::format("domain {} does not exist", canonical));
  TERN_TRY_ASSIGN(auto accounts, db.scalar("SELECT COUNT(*) FROM accounts WHERE domain_id = ?1", *id));
  TERN_TRY_ASSIGN(auto aliases, db.scalar("SELECT COUNT(*) FROM aliases WHERE domain_id = ?1", *id));
  if (accounts.value_or(0) > 0 || aliases.value_or(0) > 0) {
    return make_error(Errc::conflict, fmt::format("domain {} still has {} account(s) and {} alias(es)", canonical,
                                                  accounts.value_or(0), aliases.value_or(0)));
  }
  return db.execute("DELETE FROM domains WHERE id = ?1", *id);
}

Result<std::vector<Domain>> list_domains(Connection& db) {
  TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_domain) + " ORDER BY name"));
  std::vector<Domain> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    out.push_back(domain_from(rows));
  }
}

Result<std::optional<Domain>> find_domain(Connection& db, std::string_view name) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_domain(name));
  TERN_TRY_ASSIGN(auto row, db.query(std::string(select_domain) + " WHERE name = ?1", canonical));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return std::optional<Domain>{};
  return std::optional<Domain>{domain_from(row)};
}

Result<Account> add_account(Connection& db, std::string_view address, std::string_view password_hash) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, false));
  std::string domain = domain_of(canonical);
  TERN_TRY_ASSIGN(auto domain_row, domain_id(db, domain));
  if (!domain_row) return make_error(Errc::not_found, fmt::format("domain {} is not a local domain", domain));
  TERN_TRY_ASSIGN(auto account, db.scalar("SELECT id FROM accounts WHERE address = ?1", canonical));
  if (account) return make_error(Errc::already_exists, fmt::format("account {} already exists", canonical));
  TERN_TRY_ASSIGN(auto alias, db.scalar("SELECT id FROM aliases WHERE address = ?1", canonical));
  if (alias) return make_error(Errc::already_exists, fmt::format("{} already exists as an alias", canonical));

  UnixTime created = now();
  TERN_TRY(db.execute("INSERT INTO accounts (domain_id, address, password_hash, created) VALUES (?1, ?2, ?3, ?4)",
                      *domain_row, canonical, password_hash, created));
  Account out{db.last_insert_id(), *domain_row, canonical, std::string(password_hash), created};
  TERN_TRY(create_default_mailboxes(db, out.id));
  return out;
}

Result<void> set_password(Connection& db, std::string_view address, std::string_view password_hash) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, false));
  TERN_TRY(db.execute("UPDATE accounts SET password_hash = ?1 WHERE address = ?2", password_hash, canonical));
  if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("account {} does not exist", canonical));
  return {};
}

Result<void> remove_account(Connection& db, std::string_view address) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, false));
  // Mailboxes and entries go by cascade; the entries' trigger drops every
  // message no longer referenced.
  TERN_TRY(db.execute("DELETE FROM accounts WHERE address = ?1", canonical));
  if (db.changes() == 0) return make_error(Errc::not_found, fmt::format("account {} does not exist", canonical));
  return {};
}

Result<std::vector<Account>> list_accounts(Connection& db) {
  TERN_TRY_ASSIGN(auto rows, db.query(std::string(select_account) + " ORDER BY address"));
  std::vector<Account> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    out.push_back(account_from(rows));
  }
}

Result<std::optional<Account>> find_account(Connection& db, std::string_view address) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_address(address, false));
  TERN_TRY_ASSIGN(auto row, db.query(std::string(select_account) + " WHERE address = ?1", canonical));
  TERN_TRY_ASSIGN(bool has_row, row.step());
  if (!has_row) return std::optional<Account>{};
  return std::optional<Account>{account_from(row)};
}

}  // namespace tern::store::sqlite::ops
