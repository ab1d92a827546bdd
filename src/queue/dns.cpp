#include "queue/dns.hpp"

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

namespace tern::queue {

namespace {

constexpr int type_a = 1;
constexpr int type_mx = 15;
constexpr int type_aaaa = 28;
constexpr int class_in = 1;
constexpr int rcode_nxdomain = 3;

struct ResultDeleter {
  void operator()(ub_result* result) const { ub_resolve_free(result); }
};
using ResultPtr = std::unique_ptr<ub_result, ResultDeleter>;

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

std::optional<MxRecord> parse_mx_rdata(const unsigned char* data, std::size_t size) {
  if (size < 3) return std::nullopt;
  MxRecord out;
  out.preference = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  std::size_t at = 2;
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
  out.exchange = std::move(name);
  return out;
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
  return std::unique_ptr<Resolver>(new Resolver(context, threads));
}

Resolver::Resolver(ub_ctx* context, unsigned threads) : context_(context), pool_(threads == 0 ? 1 : threads) {}

Resolver::~Resolver() {
  pool_.join();
  ub_ctx_delete(context_);
}

asio::awaitable<Result<DnsAnswer>> Resolver::lookup_mx(std::string domain) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_mx, context_, std::move(domain)), asio::use_awaitable);
}

asio::awaitable<Result<DnsAnswer>> Resolver::lookup_addresses(std::string host) {
  co_return co_await asio::co_spawn(pool_, run_lookup(&resolve_addresses, context_, std::move(host)),
                                    asio::use_awaitable);
}

Result<DnsAnswer> Resolver::resolve_mx(ub_ctx* context, const std::string& domain) {
  DnsAnswer answer;
  auto queried = query(context, domain, type_mx);
  if (!queried) return std::move(queried).error();
  auto& result = *queried;
  if (result->nxdomain || result->rcode == rcode_nxdomain) {
    answer.nxdomain = true;
    return answer;
  }
  if (!result->havedata) return answer;
  for (int i = 0; result->data[i] != nullptr; ++i) {
    auto record = parse_mx_rdata(reinterpret_cast<const unsigned char*>(result->data[i]),
                                 static_cast<std::size_t>(result->len[i]));
    if (!record) return make_error(Errc::unavailable, fmt::format("malformed MX record for {}", domain));
    answer.mx.push_back(std::move(*record));
  }
  return answer;
}

Result<DnsAnswer> Resolver::resolve_addresses(ub_ctx* context, const std::string& host) {
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

}  // namespace tern::queue
