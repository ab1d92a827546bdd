#include "mailauth/spf_check.hpp"

#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/ip_network.hpp"
#include "core/text.hpp"
#include "dns/resolver.hpp"

namespace tern::spf {

namespace {

constexpr int max_dns_terms = 10;   // RFC 7208 4.6.4
constexpr int max_void_lookups = 2;
constexpr std::size_t max_names = 10;  // MX and PTR names per term

// Whether the first `prefix` bits agree.
bool same_prefix(const unsigned char* a, const unsigned char* b, unsigned prefix) {
  for (unsigned i = 0; i < prefix / 8; ++i)
    if (a[i] != b[i]) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[prefix / 8] & mask) == (b[prefix / 8] & mask);
}

bool in_network(const asio::ip::address& ip, const asio::ip::address& other, unsigned cidr4, unsigned cidr6) {
  if (ip.is_v4() != other.is_v4()) return false;
  if (ip.is_v4()) {
    auto a = ip.to_v4().to_bytes();
    auto b = other.to_v4().to_bytes();
    return same_prefix(a.data(), b.data(), cidr4);
  }
  auto a = ip.to_v6().to_bytes();
  auto b = other.to_v6().to_bytes();
  return same_prefix(a.data(), b.data(), cidr6);
}

// A name check_host can evaluate (RFC 7208 4.3): labels of 1 to 63
// octets, at least two of them, at most 253 octets in all.
bool valid_domain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
  std::size_t label = 0;
  for (char c : domain) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

// What one record's evaluation gave, and the exp= that applies on fail.
struct Outcome {
  Status status = Status::neutral;
  std::string mechanism;
  std::optional<std::string> exp;  // domain-spec
  std::string exp_domain;          // %{d} for it
};

Outcome outcome(Status status, std::string mechanism) {
  Outcome out;
  out.status = status;
  out.mechanism = std::move(mechanism);
  return out;
}

class Evaluation {
 public:
  Evaluation(dns::Resolver& resolver, const Query& query, std::string sender, std::string local,
             std::string sender_domain)
      : dns_(resolver), query_(query), sender_(std::move(sender)), local_(std::move(local)),
        sender_domain_(std::move(sender_domain)) {}

  // check_host() for one domain: its record, evaluated (RFC 7208 4).
  asio::awaitable<Outcome> run(std::string domain, bool top) {
    Outcome out;
    auto answer = co_await dns_.lookup_txt(domain);
    if (!answer) co_return outcome(Status::temperror, "DNS error looking up the SPF record of " + domain);
    std::vector<std::string_view> records;
    for (const auto& txt : answer->txt)
      if (is_spf_record(txt)) records.push_back(txt);
    if (records.empty()) {
      if (!top && (answer->nxdomain || answer->txt.empty())) void_lookup();
      co_return outcome(Status::none, "no SPF record at " + domain);
    }
    if (records.size() > 1) co_return outcome(Status::permerror, "more than one SPF record at " + domain);
    auto record = parse_record(records.front());
    if (!record) co_return outcome(Status::permerror, record.error().message);

    for (const auto& m : record->mechanisms) {
      auto matched = co_await match(m, domain);
      if (matched.status != Status::none) {
        if (matched.status == Status::temperror || matched.status == Status::permerror) co_return matched;
        out.status = m.qualifier;
        out.mechanism = m.text;
        if (out.status == Status::fail && record->exp) {
          out.exp = record->exp;
          out.exp_domain = domain;
        }
        co_return out;
      }
    }
    if (record->redirect) {
      if (auto limit = count_term(); limit) co_return *limit;
      std::string target = expand_domain(*record->redirect, co_await macros(domain, *record->redirect));
      if (!valid_domain(target)) co_return outcome(Status::permerror, "redirect to an invalid domain " + target);
      Outcome redirected = co_await run(target, false);
      if (redirected.status == Status::none)
        co_return outcome(Status::permerror, "redirect=" + target + " has no SPF record");
      co_return redirected;
    }
    out.status = Status::neutral;
    out.mechanism = "default";
    co_return out;
  }

  asio::awaitable<MacroInput> macros(std::string_view domain, std::string_view spec) {
    MacroInput in;
    in.sender = sender_;
    in.local = local_;
    in.sender_domain = sender_domain_;
    in.domain = domain;
    in.ip = query_.ip;
    in.helo = query_.helo;
    in.receiver = query_.receiver;
    in.now = query_.now;
    if (uses_validated_name(spec)) {
      if (!validated_.count(std::string(domain))) validated_[std::string(domain)] = co_await validated_name(domain);
      in.validated = validated_[std::string(domain)];
    }
    co_return in;
  }

  // The explanation of a fail (RFC 7208 6.2): "" when there is none usable.
  asio::awaitable<std::string> explanation(const Outcome& outcome) {
    if (!outcome.exp) co_return std::string();
    std::string name = expand_domain(*outcome.exp, co_await macros(outcome.exp_domain, *outcome.exp));
    if (!valid_domain(name)) co_return std::string();
    auto answer = co_await dns_.lookup_txt(name);
    if (!answer || answer->txt.size() != 1) co_return std::string();
    const std::string& text = answer->txt.front();
    if (!valid_macro_string(text, true)) co_return std::string();
    co_return expand(text, co_await macros(outcome.exp_domain, text));
  }

 private:
  // Counts a term that queries DNS; the permerror once there are too many.
  std::optional<Outcome> count_term() {
    if (++terms_ > max_dns_terms) return outcome(Status::permerror, "more than 10 DNS lookups");
    return std::nullopt;
  }
  void void_lookup() { ++voids_; }
  std::optional<Outcome> check_voids() {
    if (voids_ > max_void_lookups) return outcome(Status::permerror, "more than 2 void DNS lookups");
    return std::nullopt;
  }

  asio::awaitable<Result<dns::DnsAnswer>> addresses(std::string host, bool v4) {
    if (v4) co_return co_await dns_.lookup_a(std::move(host));
    co_return co_await dns_.lookup_aaaa(std::move(host));
  }

  // Status::none for no match, the qualifier's owner decides otherwise;
  // temperror and permerror end the evaluation.
  asio::awaitable<Outcome> match(const Mechanism& m, const std::string& domain) {
    const asio::ip::address& ip = query_.ip;
    const bool v4 = ip.is_v4();
    Outcome no_match = outcome(Status::none, {});
    Outcome matched = outcome(Status::pass, m.text);
    switch (m.kind) {
      case Kind::all: co_return matched;
      case Kind::ip4:
      case Kind::ip6: {
        if ((m.kind == Kind::ip4) != v4) co_return no_match;
        asio::ip::address network;
        if (v4) {
          asio::ip::address_v4::bytes_type b;
          std::copy(m.network.begin(), m.network.begin() + 4, b.begin());
          network = asio::ip::address_v4(b);
        } else {
          network = asio::ip::address_v6(m.network);
        }
        co_return in_network(ip, network, m.cidr4, m.cidr6) ? matched : no_match;
      }
      default: break;
    }
    if (auto limit = count_term(); limit) co_return *limit;
    std::string target = domain;
    if (!m.domain_spec.empty()) target = expand_domain(m.domain_spec, co_await macros(domain, m.domain_spec));
    if (!valid_domain(target)) {
      if (m.kind == Kind::include) co_return outcome(Status::permerror, m.text + ": invalid domain " + target);
      co_return no_match;  // RFC 7208 4.8: a name that cannot exist matches nothing
    }

    switch (m.kind) {
      case Kind::include: {
        Outcome included = co_await run(target, false);
        switch (included.status) {
          case Status::pass: co_return matched;
          case Status::fail:
          case Status::softfail:
          case Status::neutral: co_return no_match;
          case Status::temperror: co_return included;
          case Status::none: co_return outcome(Status::permerror, m.text + ": no SPF record at " + target);
          case Status::permerror: co_return included;
        }
        co_return no_match;
      }
      case Kind::a: {
        auto answer = co_await addresses(target, v4);
        if (!answer) co_return outcome(Status::temperror, m.text + ": DNS error for " + target);
        if (answer->addresses.empty()) {
          void_lookup();
          if (auto limit = check_voids(); limit) co_return *limit;
        }
        for (const auto& address : answer->addresses)
          if (in_network(ip, address, m.cidr4, m.cidr6)) co_return matched;
        co_return no_match;
      }
      case Kind::mx: {
        auto answer = co_await dns_.lookup_mx(target);
        if (!answer) co_return outcome(Status::temperror, m.text + ": DNS error for " + target);
        if (answer->mx.empty()) {
          void_lookup();
          if (auto limit = check_voids(); limit) co_return *limit;
        }
        if (answer->mx.size() > max_names) co_return outcome(Status::permerror, m.text + ": more than 10 MX records");
        for (const auto& mx : answer->mx) {
          if (mx.exchange.empty()) continue;
          auto hosts = co_await addresses(mx.exchange, v4);
          if (!hosts) co_return outcome(Status::temperror, m.text + ": DNS error for " + mx.exchange);
          for (const auto& address : hosts->addresses)
            if (in_network(ip, address, m.cidr4, m.cidr6)) co_return matched;
        }
        co_return no_match;
      }
      case Kind::ptr: {
        const std::string lower = text::to_lower(target);
        std::string name = co_await validated_name(lower);
        if (name.empty()) co_return no_match;
        co_return name == lower || name.ends_with("." + lower) ? matched : no_match;
      }
      case Kind::exists: {
        auto answer = co_await dns_.lookup_a(target);
        if (!answer) co_return outcome(Status::temperror, m.text + ": DNS error for " + target);
        if (answer->addresses.empty()) {
          void_lookup();
          if (auto limit = check_voids(); limit) co_return *limit;
          co_return no_match;
        }
        co_return matched;
      }
      default: co_return no_match;
    }
  }

  // A name of the client whose addresses include it (RFC 7208 5.5): the
  // target itself, else one of its subdomains, else any; "" when none.
  asio::awaitable<std::string> validated_name(std::string_view target) {
    auto answer = co_await dns_.lookup_ptr(dns::reverse_name(query_.ip));
    if (!answer) co_return std::string();
    if (answer->names.empty()) void_lookup();
    std::string best;
    int best_rank = 0;
    std::size_t checked = 0;
    for (const auto& name : answer->names) {
      if (++checked > max_names) break;
      auto hosts = co_await addresses(name, query_.ip.is_v4());
      if (!hosts) continue;
      bool valid = std::any_of(hosts->addresses.begin(), hosts->addresses.end(),
                               [&](const asio::ip::address& a) { return a == query_.ip; });
      if (!valid) continue;
      int rank = name == target ? 3 : name.ends_with("." + std::string(target)) ? 2 : 1;
      if (rank > best_rank) {
        best = name;
        best_rank = rank;
      }
    }
    co_return best;
  }

  dns::Resolver& dns_;
  const Query& query_;
  std::string sender_, local_, sender_domain_;
  int terms_ = 0;
  int voids_ = 0;
  std::map<std::string, std::string> validated_;
};

}  // namespace

asio::awaitable<Verdict> check_host(dns::Resolver& resolver, Query query) {
  query.ip = unmapped(query.ip);
  Verdict verdict;
  std::string local, domain;
  if (query.sender.empty()) {
    local = "postmaster";
    domain = text::to_lower(query.helo);
  } else {
    auto at = query.sender.rfind('@');
    if (at == std::string::npos) {
      local = "postmaster";
      domain = query.sender;
    } else {
      local = query.sender.substr(0, at);
      domain = query.sender.substr(at + 1);
      if (local.empty()) local = "postmaster";
    }
  }
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  verdict.domain = domain;
  verdict.sender = local + "@" + domain;
  verdict.helo = query.sender.empty();
  verdict.client = query.ip.to_string();
  if (!valid_domain(domain)) {
    verdict.status = Status::none;
    verdict.mechanism = "no valid domain to check";
    co_return verdict;
  }
  Evaluation evaluation(resolver, query, verdict.sender, local, domain);
  Outcome outcome = co_await evaluation.run(domain, true);
  verdict.status = outcome.status;
  verdict.mechanism = outcome.mechanism;
  if (outcome.status == Status::fail) verdict.explanation = co_await evaluation.explanation(outcome);
  co_return verdict;
}

}  // namespace tern::spf
