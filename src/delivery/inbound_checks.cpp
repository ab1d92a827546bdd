#include "delivery/inbound_checks.hpp"

#include <asio/ip/address.hpp>
#include <fmt/format.h>

#include <set>

#include "core/ip_network.hpp"
#include "core/text.hpp"
#include "dns/resolver.hpp"
#include "mailauth/authentication_results.hpp"
#include "mailauth/dmarc_check.hpp"
#include "mailauth/spf_check.hpp"

namespace tern::delivery {

namespace {

// The key of one DKIM signature, looked up in DNS.
asio::awaitable<dkim::KeyLookup> lookup_key(dns::Resolver* resolver, const Result<dkim::Signature>& signature) {
  dkim::KeyLookup key;
  if (!signature) co_return key;  // verify() reports the permerror
  if (resolver == nullptr) {
    key.outcome = dkim::KeyLookup::Outcome::temporary_failure;
    co_return key;
  }
  auto answer = co_await resolver->lookup_txt(dkim::key_name(*signature));
  if (!answer) {
    key.outcome = dkim::KeyLookup::Outcome::temporary_failure;
  } else if (!answer->nxdomain && !answer->txt.empty()) {
    key.outcome = dkim::KeyLookup::Outcome::found;
    key.records = std::move(answer->txt);
  }
  co_return key;
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : text::to_lower(address.substr(at + 1));
}

int severity(InboundAction action) {
  switch (action) {
    case InboundAction::accept: return 0;
    case InboundAction::quarantine: return 1;
    case InboundAction::reject: return 2;
  }
  return 0;
}

// The harsher of the current decision and a new one.
void decide(InboundVerdict& v, InboundAction action, std::string check, std::string enhanced, std::string text) {
  if (severity(action) <= severity(v.action)) return;
  v.action = action;
  v.check = std::move(check);
  v.enhanced = std::move(enhanced);
  v.text = std::move(text);
}

bool trusted(const InboundPolicy& policy, std::string_view peer) {
  asio::error_code ec;
  auto address = asio::ip::make_address(std::string(peer), ec);
  if (ec) return false;
  for (const auto& network : policy.trusted_networks)
    if (network.contains(address)) return true;
  return false;
}

}  // namespace

asio::awaitable<InboundVerdict> check_inbound(dns::Resolver* resolver, store::Store& store,
                                              const InboundPolicy& policy, const InboundMessage& message) {
  InboundVerdict v;

  // DKIM: every signature (at most 8), the body hashed once per canonicalization.
  dkim::BodyHashes body_hashes;
  std::vector<std::string> dkim_pass;
  for (const auto& field : dkim::signature_fields(message.header)) {
    auto signature = dkim::parse_signature(field);
    auto key = co_await lookup_key(resolver, signature);
    dkim::Verdict d = dkim::verify(field, signature, message.header, message.body, key, message.now, body_hashes);
    if (d.status == dkim::Status::pass) dkim_pass.push_back(text::to_lower(d.domain));
    v.dkim.push_back(std::move(d));
  }

  // SPF: the MAIL FROM identity, or HELO's for the null sender.
  asio::error_code ec;
  auto ip = asio::ip::make_address(std::string(message.peer_address), ec);
  if (!ec) {
    spf::Query query;
    query.ip = ip;
    query.sender = std::string(message.reverse_path);
    query.helo = std::string(message.helo);
    query.receiver = std::string(message.hostname);
    query.now = message.now;
    if (resolver != nullptr) {
      v.spf = co_await spf::check_host(*resolver, std::move(query));
    } else {
      spf::Verdict none;
      none.status = spf::Status::temperror;
      none.mechanism = "no resolver";
      none.sender = query.sender;
      none.domain = domain_of(query.sender);
      none.client = ip.to_string();
      v.spf = std::move(none);
    }
  }
  // The SPF-authenticated domain (RFC 7489 3.1.2): MAIL FROM's, or HELO's
  // for the null sender, which is what check_host was given.
  const std::string spf_pass_domain =
      v.spf && v.spf->status == spf::Status::pass ? text::to_lower(v.spf->domain) : std::string();

  // DMARC: for each From: domain.
  std::vector<std::string> from_domains;
  for (const auto& address : message.from) {
    std::string d = domain_of(address);
    if (!d.empty() && std::find(from_domains.begin(), from_domains.end(), d) == from_domains.end())
      from_domains.push_back(std::move(d));
  }
  const bool too_many_domains = from_domains.size() > max_dmarc_domains;
  if (too_many_domains) from_domains.resize(max_dmarc_domains);
  for (const auto& domain : from_domains) {
    dmarc::Identifiers ids;
    ids.spf_pass_domain = spf_pass_domain;
    ids.dkim_pass_domains = dkim_pass;
    if (resolver != nullptr) {
      v.dmarc.push_back(co_await dmarc::check(*resolver, domain, std::move(ids), message.sample));
    } else {
      dmarc::Verdict none;
      none.status = dmarc::Status::temperror;
      none.from_domain = domain;
      none.reason = "no resolver";
      v.dmarc.push_back(std::move(none));
    }
  }

  const spf::Verdict* spf_result = v.spf ? &*v.spf : nullptr;
  const dmarc::Verdict* dmarc_result = v.dmarc.empty() ? nullptr : &v.dmarc.front();
  // The A-R field names the first From: domain's DMARC result, or the worst
  // one when another domain failed.
  for (const auto& d : v.dmarc)
    if (d.status == dmarc::Status::fail) {
      dmarc_result = &d;
      break;
    }
  v.authentication_results = mailauth::authentication_results(message.hostname, v.dkim, spf_result, dmarc_result);

  // The policy. Clients on trusted networks (the host's own programs) are
  // checked and recorded, never refused.
  if (trusted(policy, message.peer_address)) co_return v;
  if (too_many_domains)
    decide(v, InboundAction::reject, "dmarc", "5.7.1", "Too many From: domains to authenticate");
  for (const auto& d : v.dmarc) {
    if (d.status != dmarc::Status::fail) continue;
    if (d.applied == dmarc::Disposition::reject)
      decide(v, policy.dmarc_reject, "dmarc", "5.7.1",
             fmt::format("Unauthenticated mail from {} is refused by its DMARC policy (p=reject)", d.from_domain));
    else if (d.applied == dmarc::Disposition::quarantine)
      decide(v, policy.dmarc_quarantine, "dmarc", "5.7.1",
             fmt::format("Unauthenticated mail from {} is refused by its DMARC policy (p=quarantine)",
                         d.from_domain));
  }
  if (v.spf && v.spf->status == spf::Status::fail)
    decide(v, policy.spf_fail, "spf", "5.7.23",
           fmt::format("SPF: {} is not permitted to send mail for {}", v.spf->client, v.spf->domain));
  bool dkim_failed = false;
  for (const auto& d : v.dkim) dkim_failed = dkim_failed || d.status == dkim::Status::fail;
  if (dkim_failed && dkim_pass.empty())
    decide(v, policy.dkim_fail, "dkim", "5.7.20", "No valid DKIM signature (a signature failed to verify)");

  // Mail that claims one of tern's own domains must prove it: SPF passing
  // for its MAIL FROM, or a passing DKIM signature aligned with the domain.
  if (policy.own_domain_unauthenticated != InboundAction::accept) {
    std::vector<std::string> claimed = from_domains;
    if (std::string d = domain_of(message.reverse_path); !d.empty()) claimed.push_back(d);
    std::set<std::string> asked;
    for (const auto& domain : claimed) {
      if (!asked.insert(domain).second) continue;
      auto ours = co_await store.find_domain(domain);
      if (!ours || !*ours) continue;
      bool proven = dmarc::aligned(spf_pass_domain, domain, dmarc::Alignment::relaxed);
      for (const auto& d : dkim_pass) proven = proven || dmarc::aligned(d, domain, dmarc::Alignment::relaxed);
      if (!proven) {
        decide(v, policy.own_domain_unauthenticated, "own_domain", "5.7.1",
               fmt::format("Mail from {} must be authenticated: log in and submit it on port 587 or 465", domain));
        break;
      }
    }
  }
  co_return v;
}

}  // namespace tern::delivery
