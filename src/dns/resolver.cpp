#include "dns/resolver.hpp"

#include <asio/co_spawn.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <unbound.h>

#include <array>
#include <memory>

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace tern::dns {

namespace {

constexpr int type_a = 1;
constexpr int type_ptr = 12;
constexpr int type_mx = 15;
constexpr int type_txt = 16;
constexpr int type_aaaa = 28;
constexpr int class_in = 1;
constexpr int rcode_nxdomain = 3;

struct ResultDeleter {
  void operator()(ub_result* result) const { ub_resolve_free(result); }
};
using ResultPtr = std::unique_ptr<ub_result, ResultDeleter>;

// The local zones libunbound serves by default (unbound.conf(5),
// "local-zone"; libunbound 1.17).
constexpr const char* unbound_default_zones[] = {
    "localhost.", "127.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "home.arpa.", "onion.", "test.", "invalid.",
    // RFC 1918
    "10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
    "19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.",
    "23.172.in-addr.arpa.", "24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
    "27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
    "31.172.in-addr.arpa.", "168.192.in-addr.arpa.",
    // RFC 6598 shared address space, 100.64.0.0/10
    "64.100.in-addr.arpa.", "65.100.in-addr.arpa.", "66.100.in-addr.arpa.", "67.100.in-addr.arpa.",
    "68.100.in-addr.arpa.", "69.100.in-addr.arpa.", "70.100.in-addr.arpa.", "71.100.in-addr.arpa.",
    "72.100.in-addr.arpa.", "73.100.in-addr.arpa.", "74.100.in-addr.arpa.", "75.100.in-addr.arpa.",
    "76.100.in-addr.arpa.", "77.100.in-addr.arpa.", "78.100.in-addr.arpa.", "79.100.in-addr.arpa.",
    "80.100.in-addr.arpa.", "81.100.in-addr.arpa.", "82.100.in-addr.arpa.", "83.100.in-addr.arpa.",
    "84.100.in-addr.arpa.", "85.100.in-addr.arpa.", "86.100.in-addr.arpa.", "87.100.in-addr.arpa.",
    "88.100.in-addr.arpa.", "89.100.in-addr.arpa.", "90.100.in-addr.arpa.", "91.100.in-addr.arpa.",
    "92.100.in-addr.arpa.", "93.100.in-addr.arpa.", "94.100.in-addr.arpa.", "95.100.in-addr.arpa.",
    "96.100.in-addr.arpa.", "97.100.in-addr.arpa.", "98.100.in-addr.arpa.", "99.100.in-addr.arpa.",
    "100.100.in-addr.arpa.", "101.100.in-addr.arpa.", "102.100.in-addr.arpa.", "103.100.in-addr.arpa.",
    "104.100.in-addr.arpa.", "105.100.in-addr.arpa.", "106.100.in-addr.arpa.", "107.100.in-addr.arpa.",
    "108.100.in-addr.arpa.", "109.100.in-addr.arpa.", "110.100.in-addr.arpa.", "111.100.in-addr.arpa.",
    "112.100.in-addr.arpa.", "113.100.in-addr.arpa.", "114.100.in-addr.arpa.", "115.100.in-addr.arpa.",
    "116.100.in-addr.arpa.", "117.100.in-addr.arpa.", "118.100.in-addr.arpa.", "119.100.in-addr.arpa.",
    "120.100.in-addr.arpa.", "121.100.in-addr.arpa.", "122.100.in-addr.arpa.", "123.100.in-addr.arpa.",
    "124.100.in-addr.arpa.", "125.100.in-addr.arpa.", "126.100.in-addr.arpa.", "127.100.in-addr.arpa.",
    // RFC 6303 4.2-4.5: link local, documentation ranges, broadcast
    "254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
    "255.255.255.255.in-addr.arpa.",
    // IPv6: unspecified, unique local (fd00::/8), link local (fe80::/10), documentation (2001:db8::/32)
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", "d.f.ip6.arpa.", "8.e.f.ip6.arpa.",
    "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
};

// One blocking query; Errc::unavailable for anything that may pass (RFC 5321
// 4.5.4.1: a DNS failure is a temporary failure).
Result<ResultPtr> query(ub_ctx* context, const std::string& name, int type) {
  ub_result* raw = nullptr;
  int err = ub_resolve(context, name.c_str(), type, class_in, &raw);
  ResultPtr result(raw);
  if (err != 0)
    return make_error(Errc::unavailable, fmt::format("DNS lookup of {} failed: {}", name, ub_strerror(err)));
  if (result->bogus)
    return make_error(Errc::unavailable, fmt::format("DNS answer for {} is bogus: {}", name,
                                                     result->why_bogus ? result->why_bogus : "?"));
  if (result->rcode != 0 && result->rcode != rcode_nxdomain)
    return make_error(Errc::unavailable, fmt::format("DNS lookup of {} failed with rcode {}", name, result->rcode));
  return result;
}

// Runs on the resolver's pool. (A plain function, not a lambda: GCC 12 mishandles
// coroutine parameters that are lambdas with non-trivial captures.)
asio::awaitable<Result<DnsAnswer>> run_lookup(Result<DnsAnswer> (*lookup)(ub_ctx*, const std::string&),
                                              ub_ctx* context, std::string name) {
  co_return lookup(context, name);
}

}  // namespace

std::optional<std::string> parse_txt_rdata(const unsigned char* data, std::size_t size) {
  std::string out;
  std::size_t at = 0;
  while (at < size) {
    std::size_t length = data[at++];
    if (at + length > size) return std::nullopt;
    out.append(reinterpret_cast<const char*>(data + at), length);
    at += length;
  }
  return out;
}

namespace {

// An uncompressed domain name at data[at]: lower case, no trailing dot.
std::optional<std::string> parse_name(const unsigned char* data, std::size_t size, std::size_t at) {
  std::string name;
  while (true) {
    if (at >= size) return std::nullopt;
    std::size_t length = data[at++];
    if (length == 0) break;
    if (length > 63 || at + length > size) return std::nullopt;  // compression pointers are not expected here
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i)
      name += text::ascii_lower(static_cast<char>(data[at + i]));
    at += length;
    if (name.size() > 253) return std::nullopt;
  }
  return name;
}

}  // namespace

std::optional<MxRecord> parse_mx_rdata(const unsigned char* data, std::size_t size) {
  if (size < 3) return std::nullopt;
  MxRecord out;
  out.preference = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  auto name = parse_name(data, size, 2);
  if (!name) return std::nullopt;
  out.exchange = std::move(*name);
  return out;
}

std::optional<std::string> parse_name_rdata(const unsigned char* data, std::size_t size) {
  return parse_name(data, size, 0);
}

std::string reverse_name(const asio::ip::address& address) {
  std::string out;
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]);
  }
  auto b = address.to_v6().to_bytes();
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = b.size(); i-- > 0;) {
    out += hex[b[i] & 0xf];
    out += '.';
    out += hex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

Result<std::unique_ptr<Resolver>> Resolver::create(const std::vector<std::string>& servers, unsigned threads) {
  ub_ctx* context = ub_ctx_create();
  if (!context) return make_error(Errc::internal, "cannot create a libunbound context");
  auto fail = [&](const std::string& what, int err) {
    ub_ctx_delete(context);
    return make_error(Errc::invalid, fmt::format("DNS resolver: {}: {}", what, ub_strerror(err)));
  };
  // Resolvers on loopback (a local cache, the tests' dnsmasq) are the usual case.
  if (int err = ub_ctx_set_option(context, "do-not-query-localhost:", "no"); err != 0)
    return fail("do-not-query-localhost", err);
  if (servers.empty()) {
    if (int err = ub_ctx_resolvconf(context, nullptr); err != 0) return fail("reading resolv.conf", err);
    if (int err = ub_ctx_hosts(context, nullptr); err != 0) return fail("reading /etc/hosts", err);
  } else {
    // libunbound answers some names itself, without asking anyone: the
    // special-use names of RFC 6761 (test., invalid., localhost.), onion.
    // (RFC 7686), home.arpa. (RFC 8375), and the reverse zones of private
    // and reserved ranges (RFC 6303). A lab or a company network may serve
    // real records under them, so configured servers are asked for every
    // name. Each default zone is replaced by a transparent zone without
    // data, which resolves every query as usual: "nodefault" set through
    // ub_ctx_set_option is accepted but not honoured by libunbound 1.17.
    for (const char* zone : unbound_default_zones) {
      std::string setting = fmt::format("{} transparent", zone);
      if (int err = ub_ctx_set_option(context, "local-zone:", setting.c_str()); err != 0)
        return fail(fmt::format("local-zone {}", setting), err);
    }
    for (const auto& server : servers) {
      auto endpoint = parse_endpoint(server);
      if (!endpoint) {
        ub_ctx_delete(context);
        return std::move(endpoint).error();
      }
      std::string forwarder = fmt::format("{}@{}", endpoint->host, endpoint->port);
      if (int err = ub_ctx_set_fwd(context, forwarder.c_str()); err != 0) return fail("forwarder " + server, err);
    }
  }
  return std::unique_ptr<Resolver>(new UnboundResolver(context, threads));
}

UnboundResolver::UnboundResolver(ub_ctx* context, unsigned threads)
    : context_(context), pool_(threads == 0 ? 1 : threads) {}

UnboundResolver::~UnboundResolver() {
  pool_.join();
  ub_ctx_delete(context_);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_mx(std::string domain) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_mx, context_, std::move(domain)), asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_addresses(std::string host) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_addresses, context_, std::move(host)),
                                    asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_txt(std::string name) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_txt, context_, std::move(name)), asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_a(std::string host) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_a, context_, std::move(host)), asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_aaaa(std::string host) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_aaaa, context_, std::move(host)), asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> UnboundResolver::lookup_ptr(std::string name) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_ptr, context_, std::move(name)), asio::use_awaitable);
}

namespace {

// One query whose records each `parse` turns into an entry of `answer`
// (`add`); a malformed record fails the lookup like a DNS failure.
template <class Parse, class Add>
Result<DnsAnswer> resolve_records(ub_ctx* context, const std::string& name, int type, const char* what, Parse parse,
                                  Add add) {
  DnsAnswer answer;
  auto queried = query(context, name, type);
  if (!queried) return std::move(queried).error();
  auto& result = *queried;
  if (result->nxdomain || result->rcode == rcode_nxdomain) {
    answer.nxdomain = true;
    return answer;
  }
  if (!result->havedata) return answer;
  for (int i = 0; result->data[i] != nullptr; ++i) {
    auto record = parse(reinterpret_cast<const unsigned char*>(result->data[i]),
                        static_cast<std::size_t>(result->len[i]));
    if (!record) return make_error(Errc::unavailable, fmt::format("malformed {} record for {}", what, name));
    add(answer, std::move(*record));
  }
  return answer;
}

}  // namespace

Result<DnsAnswer> UnboundResolver::resolve_txt(ub_ctx* context, const std::string& name) {
  return resolve_records(context, name, type_txt, "TXT", parse_txt_rdata,
                         [](DnsAnswer& a, std::string record) { a.txt.push_back(std::move(record)); });
}

Result<DnsAnswer> UnboundResolver::resolve_mx(ub_ctx* context, const std::string& domain) {
  return resolve_records(context, domain, type_mx, "MX", parse_mx_rdata,
                         [](DnsAnswer& a, MxRecord record) { a.mx.push_back(std::move(record)); });
}

Result<DnsAnswer> UnboundResolver::resolve_ptr(ub_ctx* context, const std::string& name) {
  return resolve_records(context, name, type_ptr, "PTR", parse_name_rdata,
                         [](DnsAnswer& a, std::string record) { a.names.push_back(std::move(record)); });
}

namespace {

std::optional<asio::ip::address> parse_a_rdata(const unsigned char* data, std::size_t size) {
  if (size != 4) return std::nullopt;
  asio::ip::address_v4::bytes_type b;
  std::copy(data, data + 4, b.begin());
  return asio::ip::address(asio::ip::address_v4(b));
}

std::optional<asio::ip::address> parse_aaaa_rdata(const unsigned char* data, std::size_t size) {
  if (size != 16) return std::nullopt;
  asio::ip::address_v6::bytes_type b;
  std::copy(data, data + 16, b.begin());
  return asio::ip::address(asio::ip::address_v6(b));
}

void add_address(DnsAnswer& a, asio::ip::address address) { a.addresses.push_back(address); }

}  // namespace

Result<DnsAnswer> UnboundResolver::resolve_a(ub_ctx* context, const std::string& host) {
  return resolve_records(context, host, type_a, "A", parse_a_rdata, add_address);
}

Result<DnsAnswer> UnboundResolver::resolve_aaaa(ub_ctx* context, const std::string& host) {
  return resolve_records(context, host, type_aaaa, "AAAA", parse_aaaa_rdata, add_address);
}

Result<DnsAnswer> UnboundResolver::resolve_addresses(ub_ctx* context, const std::string& host) {
  DnsAnswer answer;
  bool nxdomain = false;
  std::optional<Error> failure;
  for (int type : {type_a, type_aaaa}) {
    auto result = query(context, host, type);
    if (!result) {
      failure = std::move(result).error();
      continue;
    }
    auto& r = *result;
    if (r->nxdomain || r->rcode == rcode_nxdomain) nxdomain = true;
    if (!r->havedata) continue;
    for (int i = 0; r->data[i] != nullptr; ++i) {
      const auto* bytes = reinterpret_cast<const unsigned char*>(r->data[i]);
      if (type == type_a && r->len[i] == 4) {
        asio::ip::address_v4::bytes_type b;
        std::copy(bytes, bytes + 4, b.begin());
        answer.addresses.emplace_back(asio::ip::address_v4(b));
      } else if (type == type_aaaa && r->len[i] == 16) {
        asio::ip::address_v6::bytes_type b;
        std::copy(bytes, bytes + 16, b.begin());
        answer.addresses.emplace_back(asio::ip::address_v6(b));
      }
    }
  }
  if (answer.addresses.empty() && failure) return std::move(*failure);
  answer.nxdomain = answer.addresses.empty() && nxdomain;
  return answer;
}

}  // namespace tern::dns
