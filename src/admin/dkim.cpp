#include "admin/dkim.hpp"

#include <fmt/format.h>

#include <ctime>
#include <ostream>
#include <set>

#include "core/run_blocking.hpp"
#include "mailauth/dkim_key.hpp"

namespace tern::admin {

namespace {

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// "ed20261207" and "rsa20261207"; a second pair the same day gets "b", "c"...
std::string new_selector(dkim::KeyType type, const std::set<std::string>& taken) {
  std::string base = std::string(type == dkim::KeyType::ed25519 ? "ed" : "rsa") + today();
  if (!taken.contains(base)) return base;
  for (char suffix = 'b'; suffix <= 'z'; ++suffix)
    if (!taken.contains(base + suffix)) return base + suffix;
  return base + std::to_string(std::time(nullptr));
}

std::string record_line(const store::DkimKey& key) {
  auto parsed = dkim::PrivateKey::from_pem(key.private_key);
  std::string value = parsed ? parsed->dns_record() : "(the stored key is unusable: " + parsed.error().message + ")";
  return fmt::format("{}._domainkey.{}. TXT {}", key.selector, key.domain, txt_strings(value));
}

// Makes an Ed25519 and an RSA key of `domain` in `state`.
Result<std::vector<store::DkimKey>> make_pair(store::Store& store, const std::string& domain,
                                              store::DkimKeyState state) {
  auto existing = run_blocking(store.list_dkim_keys(domain));
  if (!existing) return std::move(existing).error();
  std::set<std::string> taken;
  for (const auto& k : *existing) taken.insert(k.selector);
  std::vector<store::DkimKey> made;
  for (auto type : {dkim::KeyType::ed25519, dkim::KeyType::rsa}) {
    auto key = dkim::PrivateKey::generate(type);
    if (!key) return std::move(key).error();
    store::DkimKey row;
    row.domain = domain;
    row.selector = new_selector(type, taken);
    row.algorithm = dkim::key_type_name(type);
    row.private_key = key->pem();
    row.state = state;
    auto added = run_blocking(store.add_dkim_key(std::move(row)));
    if (!added) return std::move(added).error();
    taken.insert(added->selector);
    made.push_back(std::move(*added));
  }
  return made;
}

void print_made(Output io, const std::string& domain, const std::vector<store::DkimKey>& made) {
  for (const auto& k : made)
    io.out << fmt::format("dkim {} {} {} {}\n", domain, k.selector, k.algorithm, store::dkim_key_state_name(k.state));
  io.out << "; publish:\n";
  for (const auto& k : made) io.out << record_line(k) << '\n';
}

}  // namespace

std::string txt_strings(std::string_view value) {
  std::string out;
  do {
    std::string_view piece = value.substr(0, 255);
    value.remove_prefix(piece.size());
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : piece) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } while (!value.empty());
  return out;
}

int dkim_generate(store::Store& store, const std::string& name, Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto existing = run_blocking(store.list_dkim_keys(*domain));
  if (!existing) return fail(io, existing.error());
  bool has_active = false;
  for (const auto& k : *existing) has_active = has_active || k.state == store::DkimKeyState::active;
  auto made = make_pair(store, *domain, has_active ? store::DkimKeyState::pending : store::DkimKeyState::active);
  if (!made) return fail(io, made.error());
  print_made(io, *domain, *made);
  if (has_active)
    io.out << "; the domain already signs: these are pending; run `tern dkim rotate " << *domain
           << "` once they resolve\n";
  return 0;
}

int dkim_list(store::Store& store, const std::optional<std::string>& name, Output io) {
  std::string domain;
  if (name) {
    auto checked = domain_argument(*name);
    if (!checked) return fail(io, checked.error());
    domain = *checked;
  }
  auto keys = run_blocking(store.list_dkim_keys(domain));
  if (!keys) return fail(io, keys.error());
  for (const auto& k : *keys) {
    auto parsed = dkim::PrivateKey::from_pem(k.private_key);
    io.out << fmt::format("{} {} {} {} bits={} created={} changed={}\n", k.domain, k.selector, k.algorithm,
                          store::dkim_key_state_name(k.state), parsed ? parsed->bits() : 0, k.created, k.changed);
  }
  return 0;
}

int dkim_rotate(store::Store& store, const std::string& name, Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto existing = run_blocking(store.list_dkim_keys(*domain));
  if (!existing) return fail(io, existing.error());
  bool has_pending = false;
  for (const auto& k : *existing) has_pending = has_pending || k.state == store::DkimKeyState::pending;
  if (!has_pending) {
    auto made = make_pair(store, *domain, store::DkimKeyState::pending);
    if (!made) return fail(io, made.error());
    print_made(io, *domain, *made);
    io.out << "; step 1 of 2: publish these records, wait until they resolve (and the old records' TTL), then run "
              "`tern dkim rotate "
           << *domain << "` again to sign with them\n";
    return 0;
  }
  auto activated = run_blocking(store.activate_dkim_keys(*domain));
  if (!activated) return fail(io, activated.error());
  auto keys = run_blocking(store.list_dkim_keys(*domain));
  if (!keys) return fail(io, keys.error());
  for (const auto& k : *keys)
    io.out << fmt::format("dkim {} {} {} {}\n", k.domain, k.selector, k.algorithm, store::dkim_key_state_name(k.state));
  io.out << "; step 2 of 2 done: mail is signed with the new keys; keep the retired records published for a few days\n";
  return 0;
}

Result<std::vector<store::DkimKey>> local_domain_keys(store::Store& store, const std::string& domain) {
  auto found = run_blocking(store.find_domain(domain));
  if (!found) return std::move(found).error();
  if (!*found) return make_error(Errc::not_found, fmt::format("domain {} is not a local domain", domain));
  return run_blocking(store.list_dkim_keys(domain));
}

int dns_records(store::Store& store, const Config& config, const std::string& name, Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto keys = local_domain_keys(store, *domain);
  if (!keys) return fail(io, keys.error());
  const std::string& d = *domain;
  const std::string& host = config.hostname;

  io.out << fmt::format("; DNS records for {}, served by {}. Replace ADDRESS4 and ADDRESS6 with its addresses.\n", d,
                        host);
  io.out << "\n; Mail for the domain goes to this server.\n";
  io.out << fmt::format("{}. MX 10 {}.\n", d, host);
  io.out << fmt::format("{}. A ADDRESS4\n{}. AAAA ADDRESS6\n", host, host);
  io.out << "; Ask the provider of each address for its reverse record (PTR):\n";
  io.out << fmt::format(";   ADDRESS4 PTR {}.   ADDRESS6 PTR {}.\n", host, host);

  io.out << "\n; SPF (RFC 7208): only the domain's MX hosts send its mail; and the server's own name.\n";
  io.out << fmt::format("{}. TXT {}\n", d, txt_strings("v=spf1 mx -all"));
  io.out << fmt::format("{}. TXT {}\n", host, txt_strings("v=spf1 a -all"));

  io.out << "\n; DKIM (RFC 6376, RFC 8463): the public keys of the selectors that sign (or will, or did).\n";
  for (const auto& k : *keys)
    io.out << fmt::format("; {} {}\n", k.selector, store::dkim_key_state_name(k.state)) << record_line(k) << '\n';
  if (keys->empty()) io.out << fmt::format("; none: run `tern dkim generate {}`\n", d);

  io.out << "\n; DMARC (RFC 7489): refuse mail that fails SPF and DKIM alignment; aggregate reports to postmaster.\n";
  io.out << fmt::format("_dmarc.{}. TXT {}\n", d, txt_strings(fmt::format("v=DMARC1; p=reject; rua=mailto:postmaster@{}", d)));

  io.out << "\n; TLS reporting (RFC 8460).\n";
  io.out << fmt::format("_smtp._tls.{}. TXT {}\n", d, txt_strings(fmt::format("v=TLSRPTv1; rua=mailto:postmaster@{}", d)));

  io.out << "\n; Client configuration (RFC 6186, RFC 8314): the services this server offers.\n";
  std::set<std::string> printed;
  for (const auto& l : config.listeners) {
    std::string service;
    switch (l.protocol) {
      case Protocol::submission: service = "_submission"; break;
      case Protocol::submissions: service = "_submissions"; break;
      case Protocol::imap: service = "_imap"; break;
      case Protocol::imaps: service = "_imaps"; break;
      case Protocol::pop3: service = "_pop3"; break;
      case Protocol::pop3s: service = "_pop3s"; break;
      case Protocol::smtp: continue;
    }
    if (!printed.insert(service).second) continue;
    io.out << fmt::format("{}._tcp.{}. SRV 0 1 {} {}.\n", service, d, l.port, host);
  }
  return 0;
}

}  // namespace tern::admin
