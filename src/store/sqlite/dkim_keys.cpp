// DKIM key pairs in the SQLite back end: one row per selector of a domain;
// rotation moves states in one transaction.
#include <fmt/format.h>

#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

Result<DkimKeyState> parse_state(std::string_view name) {
  if (name == "pending") return DkimKeyState::pending;
  if (name == "active") return DkimKeyState::active;
  if (name == "retired") return DkimKeyState::retired;
  return make_error(Errc::internal, fmt::format("unknown DKIM key state '{}' in the store", name));
}

}  // namespace

Result<std::vector<DkimKey>> list_dkim_keys(Connection& db, std::string_view domain) {
  std::string canonical;
  if (!domain.empty()) {
    TERN_TRY_ASSIGN(canonical, canonical_domain(domain));
  }
  TERN_TRY_ASSIGN(auto rows, db.query("SELECT k.id, d.name, k.selector, k.algorithm, k.private_key, k.state, "
                                      "k.created, k.changed FROM dkim_keys k JOIN domains d ON d.id = k.domain_id "
                                      "WHERE ?1 = '' OR d.name = ?1 ORDER BY d.name, k.selector",
                                      canonical));
  std::vector<DkimKey> out;
  while (true) {
    TERN_TRY_ASSIGN(bool has_row, rows.step());
    if (!has_row) return out;
    DkimKey key;
    key.id = rows.integer(0);
    key.domain = rows.text(1);
    key.selector = rows.text(2);
    key.algorithm = rows.text(3);
    key.private_key = rows.text(4);
    TERN_TRY_ASSIGN(key.state, parse_state(rows.text(5)));
    key.created = rows.integer(6);
    key.changed = rows.integer(7);
    out.push_back(std::move(key));
  }
}

Result<DkimKey> add_dkim_key(Connection& db, const DkimKey& key) {
  TERN_TRY_ASSIGN(std::string domain, canonical_domain(key.domain));
  TERN_TRY_ASSIGN(auto domain_id, db.scalar("SELECT id FROM domains WHERE name = ?1", domain));
  if (!domain_id) return make_error(Errc::not_found, fmt::format("domain {} is not a local domain", domain));
  TERN_TRY_ASSIGN(auto taken, db.scalar("SELECT id FROM dkim_keys WHERE domain_id = ?1 AND selector = ?2",
                                        *domain_id, key.selector));
  if (taken) {
    return make_error(Errc::already_exists,
                      fmt::format("selector {} of domain {} already exists", key.selector, domain));
  }
  DkimKey out = key;
  out.domain = domain;
  if (out.created == 0) out.created = now();
  if (out.changed == 0) out.changed = out.created;
  TERN_TRY(db.execute("INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key, state, created, changed) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      *domain_id, out.selector, out.algorithm, out.private_key, dkim_key_state_name(out.state),
                      out.created, out.changed));
  out.id = db.last_insert_id();
  return out;
}

Result<void> activate_dkim_keys(Connection& db, std::string_view domain) {
  TERN_TRY_ASSIGN(std::string canonical, canonical_domain(domain));
  TERN_TRY_ASSIGN(auto domain_id, db.scalar("SELECT id FROM domains WHERE name = ?1", canonical));
  if (!domain_id) return make_error(Errc::not_found, fmt::format("domain {} is not a local domain", canonical));
  TERN_TRY_ASSIGN(auto pending, db.scalar("SELECT COUNT(*) FROM dkim_keys WHERE domain_id = ?1 AND state = 'pending'",
                                          *domain_id));
  if (pending.value_or(0) == 0) {
    return make_error(Errc::not_found, fmt::format("domain {} has no pending DKIM key", canonical));
  }
  UnixTime at = now();
  TERN_TRY(db.execute("UPDATE dkim_keys SET state = 'retired', changed = ?2 WHERE domain_id = ?1 AND state = 'active'",
                      *domain_id, at));
  return db.execute("UPDATE dkim_keys SET state = 'active', changed = ?2 WHERE domain_id = ?1 AND state = 'pending'",
                    *domain_id, at);
}

}  // namespace tern::store::sqlite::ops
