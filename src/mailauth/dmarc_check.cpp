#include "mailauth/dmarc_check.hpp"

#include "core/text.hpp"
#include "dns/resolver.hpp"

namespace tern::dmarc {

namespace {

struct Discovery {
  Status status = Status::none;  // none: no record; temperror; pass: found
  Record record;
  std::string reason;
};

// The DMARC record at _dmarc.DOMAIN: exactly one valid record, or none.
asio::awaitable<Discovery> lookup(dns::Resolver& resolver, const std::string& domain) {
  Discovery out;
  auto answer = co_await resolver.lookup_txt("_dmarc." + domain);
  if (!answer) {
    out.status = Status::temperror;
    out.reason = "DNS error looking up _dmarc." + domain;
    co_return out;
  }
  std::vector<Record> records;
  for (const auto& txt : answer->txt)
    if (auto r = parse_record(txt)) records.push_back(std::move(*r));
  if (records.size() == 1) {
    out.status = Status::pass;
    out.record = std::move(records.front());
  } else if (records.size() > 1) {
    out.reason = "more than one DMARC record at _dmarc." + domain;  // RFC 7489 6.6.3: none applies
  }
  co_return out;
}

}  // namespace

asio::awaitable<Verdict> check(dns::Resolver& resolver, std::string from_domain, Identifiers ids, unsigned sample) {
  Verdict v;
  v.from_domain = text::to_lower(from_domain);
  if (!v.from_domain.empty() && v.from_domain.back() == '.') v.from_domain.pop_back();
  if (v.from_domain.empty()) {
    v.status = Status::permerror;
    v.reason = "no From: domain";
    co_return v;
  }
  Discovery found = co_await lookup(resolver, v.from_domain);
  v.policy_domain = v.from_domain;
  if (found.status == Status::none) {
    const std::string org = organizational_domain(v.from_domain);
    if (org != v.from_domain) {
      found = co_await lookup(resolver, org);
      v.policy_domain = org;
    }
  }
  if (found.status != Status::pass) {
    v.status = found.status;
    v.reason = found.reason.empty() ? "no DMARC record" : found.reason;
    v.policy_domain.clear();
    co_return v;
  }
  v.record = std::move(found.record);
  const bool subdomain = v.policy_domain != v.from_domain;
  v.policy = subdomain && v.record.subdomain_policy ? *v.record.subdomain_policy : v.record.policy;

  v.spf_aligned = aligned(ids.spf_pass_domain, v.from_domain, v.record.spf);
  for (const auto& d : ids.dkim_pass_domains)
    if (aligned(d, v.from_domain, v.record.dkim)) v.dkim_aligned = true;
  if (v.spf_aligned || v.dkim_aligned) {
    v.status = Status::pass;
    co_return v;
  }
  v.status = Status::fail;
  // pct= (RFC 7489 6.6.4): outside the sample, the next milder policy.
  v.applied = v.policy;
  if (sample >= v.record.percent) {
    if (v.policy == Disposition::reject) v.applied = Disposition::quarantine;
    else if (v.policy == Disposition::quarantine) v.applied = Disposition::none;
  }
  co_return v;
}

}  // namespace tern::dmarc
