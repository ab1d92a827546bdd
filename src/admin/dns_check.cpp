#include "admin/dns_check.hpp"

#include <asio/ip/address.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "admin/dkim.hpp"
#include "core/run_blocking.hpp"
#include "core/text.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim_key.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/spf_check.hpp"

namespace tern::admin {

namespace {

enum class Mark { ok, missing, wrong, note };

class Report {
 public:
  explicit Report(Output io) : io_(io) {}

  // A line per finding; `required` findings that are not ok fail the check.
  void line(Mark mark, std::string_view record, const std::string& text, bool required = true) {
    const char* word = mark == Mark::ok ? "ok" : mark == Mark::missing ? "missing" : mark == Mark::wrong ? "wrong" : "note";
    io_.out << fmt::format("{:<8} {:<8} {}\n", word, record, text);
    if (required && (mark == Mark::missing || mark == Mark::wrong)) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  Output io_;
  bool failed_ = false;
};

// The value of tag `name` of a tag=value list ("v=DKIM1; k=rsa; p=..."),
// whitespace removed.
std::string tag_value(std::string_view record, std::string_view name) {
  while (!record.empty()) {
    auto semi = record.find(';');
    std::string_view tag = record.substr(0, semi);
    auto eq = tag.find('=');
    if (eq != std::string_view::npos) {
      std::string key;
      for (char c : tag.substr(0, eq))
        if (c != ' ' && c != '\t') key += c;
      if (key == name) {
        std::string value;
        for (char c : tag.substr(eq + 1))
          if (c != ' ' && c != '\t' && c != '\r' && c != '\n') value += c;
        return value;
      }
    }
    if (semi == std::string_view::npos) break;
    record.remove_prefix(semi + 1);
  }
  return {};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

int dns_check(store::Store& store, const Config& config, const std::string& name, dns::Resolver& resolver,
              Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto keys = local_domain_keys(store, *domain);
  if (!keys) return fail(io, keys.error());
  const std::string& d = *domain;
  const std::string host = text::to_lower(config.hostname);
  Report report(io);

  // MX: the domain's mail comes here.
  auto mx = run_blocking(resolver.lookup_mx(d));
  if (!mx) {
    report.line(Mark::wrong, "MX", fmt::format("{}: the lookup failed ({})", d, mx.error().message));
  } else {
    std::vector<std::string> hosts;
    for (const auto& r : mx->mx) hosts.push_back(r.exchange.empty() ? "." : r.exchange);
    if (hosts.empty())
      report.line(Mark::missing, "MX", fmt::format("{}: no MX record; publish: {}. MX 10 {}.", d, d, host));
    else if (std::find(hosts.begin(), hosts.end(), host) != hosts.end())
      report.line(Mark::ok, "MX", fmt::format("{}: MX {}", d, join(hosts)));
    else
      report.line(Mark::wrong, "MX", fmt::format("{}: MX {} does not name {}", d, join(hosts), host));
  }

  // The host's addresses, and their reverse records.
  std::vector<asio::ip::address> addresses;
  for (bool v4 : {true, false}) {
    auto a = run_blocking(v4 ? resolver.lookup_a(host) : resolver.lookup_aaaa(host));
    if (a) addresses.insert(addresses.end(), a->addresses.begin(), a->addresses.end());
  }
  if (addresses.empty()) {
    report.line(Mark::missing, "A/AAAA", fmt::format("{}: no address; publish: {}. A ADDRESS4", host, host));
  } else {
    std::vector<std::string> texts;
    for (const auto& a : addresses) texts.push_back(a.to_string());
    report.line(Mark::ok, "A/AAAA", fmt::format("{}: {}", host, join(texts)));
  }
  for (const auto& a : addresses) {
    auto ptr = run_blocking(resolver.lookup_ptr(dns::reverse_name(a)));
    if (ptr && std::find(ptr->names.begin(), ptr->names.end(), host) != ptr->names.end())
      report.line(Mark::ok, "PTR", fmt::format("{}: {}", a.to_string(), host));
    else if (ptr && !ptr->names.empty())
      report.line(Mark::wrong, "PTR", fmt::format("{}: PTR {}; ask the provider for {}", a.to_string(),
                                                  join(ptr->names), host));
    else
      report.line(Mark::missing, "PTR", fmt::format("{}: no PTR record; ask the provider for {}", a.to_string(), host));
  }

  // SPF, evaluated as a receiver would for mail from each of the host's addresses.
  auto spf_txt = run_blocking(resolver.lookup_txt(d));
  const bool has_spf = spf_txt && std::any_of(spf_txt->txt.begin(), spf_txt->txt.end(),
                                              [](const std::string& t) { return spf::is_spf_record(t); });
  if (!has_spf) {
    report.line(Mark::missing, "SPF", fmt::format("{}: no SPF record; publish: {}. TXT \"v=spf1 mx -all\"", d, d));
  } else {
    for (const auto& a : addresses) {
      spf::Query query;
      query.ip = a;
      query.sender = "postmaster@" + d;
      query.helo = host;
      auto verdict = run_blocking(spf::check_host(resolver, query));
      if (verdict.status == spf::Status::pass)
        report.line(Mark::ok, "SPF", fmt::format("{}: pass for {} ({})", d, a.to_string(), verdict.mechanism));
      else
        report.line(Mark::wrong, "SPF", fmt::format("{}: {} for {} ({})", d, spf::status_name(verdict.status),
                                                    a.to_string(), verdict.mechanism));
    }
    if (addresses.empty()) report.line(Mark::note, "SPF", d + ": a record exists; no address of the host to test it with", false);
  }

  // DKIM: every key that signs or is about to.
  bool active = false;
  for (const auto& key : *keys) {
    if (key.state == store::DkimKeyState::retired) continue;
    const bool required = key.state == store::DkimKeyState::active;
    active = active || required;
    const std::string record_name = fmt::format("{}._domainkey.{}", key.selector, d);
    auto parsed = dkim::PrivateKey::from_pem(key.private_key);
    if (!parsed) {
      report.line(Mark::wrong, "DKIM", fmt::format("{}: the stored key is unusable: {}", record_name,
                                                   parsed.error().message), required);
      continue;
    }
    const std::string state(store::dkim_key_state_name(key.state));
    auto txt = run_blocking(resolver.lookup_txt(record_name));
    if (!txt || txt->txt.empty()) {
      report.line(Mark::missing, "DKIM", fmt::format("{} ({}): publish: {}. TXT {}", record_name, state, record_name,
                                                     txt_strings(parsed->dns_record())), required);
    } else if (std::any_of(txt->txt.begin(), txt->txt.end(),
                           [&](const std::string& t) { return tag_value(t, "p") == parsed->public_key(); })) {
      report.line(Mark::ok, "DKIM", fmt::format("{} ({})", record_name, state), required);
    } else {
      report.line(Mark::wrong, "DKIM", fmt::format("{} ({}): the published key is not this server's; publish: "
                                                   "{}. TXT {}", record_name, state, record_name,
                                                   txt_strings(parsed->dns_record())), required);
    }
  }
  if (!active) report.line(Mark::missing, "DKIM", fmt::format("{}: no active key; run `tern dkim generate {}`", d, d));

  // DMARC.
  auto dmarc_txt = run_blocking(resolver.lookup_txt("_dmarc." + d));
  std::vector<dmarc::Record> records;
  if (dmarc_txt)
    for (const auto& t : dmarc_txt->txt)
      if (auto r = dmarc::parse_record(t)) records.push_back(*r);
  if (records.size() == 1) {
    const auto& r = records.front();
    report.line(Mark::ok, "DMARC", fmt::format("_dmarc.{}: p={}{}", d, dmarc::disposition_name(r.policy),
                                               r.policy == dmarc::Disposition::none ? " (monitoring only)" : ""));
  } else if (records.size() > 1) {
    report.line(Mark::wrong, "DMARC", fmt::format("_dmarc.{}: {} DMARC records; receivers ignore them all", d,
                                                  records.size()));
  } else {
    report.line(Mark::missing, "DMARC", fmt::format("_dmarc.{}: no DMARC record; publish: _dmarc.{}. TXT "
                                                    "\"v=DMARC1; p=reject; rua=mailto:postmaster@{}\"", d, d, d));
  }

  // TLS-RPT: optional.
  auto tlsrpt = run_blocking(resolver.lookup_txt("_smtp._tls." + d));
  const bool has_tlsrpt = tlsrpt && std::any_of(tlsrpt->txt.begin(), tlsrpt->txt.end(), [](const std::string& t) {
    return t.starts_with("v=TLSRPTv1");
  });
  report.line(has_tlsrpt ? Mark::ok : Mark::missing, "TLS-RPT",
              fmt::format("_smtp._tls.{}{}", d, has_tlsrpt ? "" : " (optional): no TLSRPTv1 record"), false);

  io.out << (report.failed() ? "Some records are missing or wrong.\n" : "Every record mail needs is in place.\n");
  return report.failed() ? 1 : 0;
}

}  // namespace tern::admin
