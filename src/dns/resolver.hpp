// DNS lookups through libunbound: MX (RFC 5321 5.1, RFC 7505 null MX) and
// the A/AAAA addresses of a host for outbound mail; TXT records for mail
// authentication (DKIM keys; SPF and DMARC policies). libunbound's
// blocking ub_resolve runs on a small pool of the resolver's own threads,
// never on the network threads; the caller's coroutine resumes on its own
// executor. Without configured servers the system's resolv.conf (and
// /etc/hosts) are used; with them, they are asked for every name, also those
// libunbound would otherwise answer itself (test., invalid., home.arpa.,
// onion., localhost., private reverse zones). No DNSSEC trust anchor is
// configured, so answers are not validated (an MTA's MX lookups do not need
// it to work).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

struct ub_ctx;

namespace tern::dns {

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // lower case, no trailing dot; "" for the null MX "."
};

// What a lookup found. A temporary failure (SERVFAIL, timeout, no answer) is
// an Errc::unavailable error; a name that does not exist is `nxdomain`.
struct DnsAnswer {
  bool nxdomain = false;
  std::vector<MxRecord> mx;                  // for lookup_mx
  std::vector<asio::ip::address> addresses;  // for lookup_addresses (A then AAAA)
  std::vector<std::string> txt;              // for lookup_txt: each record's strings joined (RFC 7208 3.3)
  std::vector<std::string> names;            // for lookup_ptr: lower case, no trailing dot
};

// The lookups tern makes. create() gives the libunbound resolver; tests
// put a resolver of their own in its place (the queue's scheduler takes one).
class Resolver {
 public:
  // `servers` are "host:port" forwarders; empty means the system's resolvers.
  static Result<std::unique_ptr<Resolver>> create(const std::vector<std::string>& servers, unsigned threads = 2);
  virtual ~Resolver() = default;

  virtual asio::awaitable<Result<DnsAnswer>> lookup_mx(std::string domain) = 0;
  virtual asio::awaitable<Result<DnsAnswer>> lookup_addresses(std::string host) = 0;
  virtual asio::awaitable<Result<DnsAnswer>> lookup_txt(std::string name) = 0;
  // One address family at a time, as SPF asks (RFC 7208 5: A records for an
  // IPv4 client, AAAA for an IPv6 one); a name without records of that type
  // is an empty answer, so SPF can count it as a void lookup.
  virtual asio::awaitable<Result<DnsAnswer>> lookup_a(std::string host) = 0;
  virtual asio::awaitable<Result<DnsAnswer>> lookup_aaaa(std::string host) = 0;
  // The PTR records of a reverse name ("4.3.2.1.in-addr.arpa").
  virtual asio::awaitable<Result<DnsAnswer>> lookup_ptr(std::string name) = 0;
};

// libunbound's blocking ub_resolve on a pool of its own threads.
class UnboundResolver final : public Resolver {
 public:
  ~UnboundResolver() override;
  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  asio::awaitable<Result<DnsAnswer>> lookup_mx(std::string domain) override;
  asio::awaitable<Result<DnsAnswer>> lookup_addresses(std::string host) override;
  asio::awaitable<Result<DnsAnswer>> lookup_txt(std::string name) override;
  asio::awaitable<Result<DnsAnswer>> lookup_a(std::string host) override;
  asio::awaitable<Result<DnsAnswer>> lookup_aaaa(std::string host) override;
  asio::awaitable<Result<DnsAnswer>> lookup_ptr(std::string name) override;

 private:
  friend class Resolver;
  explicit UnboundResolver(ub_ctx* context, unsigned threads);
  static Result<DnsAnswer> resolve_mx(ub_ctx* context, const std::string& domain);
  static Result<DnsAnswer> resolve_addresses(ub_ctx* context, const std::string& host);
  static Result<DnsAnswer> resolve_txt(ub_ctx* context, const std::string& name);
  static Result<DnsAnswer> resolve_a(ub_ctx* context, const std::string& host);
  static Result<DnsAnswer> resolve_aaaa(ub_ctx* context, const std::string& host);
  static Result<DnsAnswer> resolve_ptr(ub_ctx* context, const std::string& name);

  ub_ctx* context_;
  asio::thread_pool pool_;
};

// The rdata of an MX record (preference and an uncompressed domain name);
// nullopt when malformed. Exposed for tests.
std::optional<MxRecord> parse_mx_rdata(const unsigned char* data, std::size_t size);

// The rdata of a PTR record (an uncompressed domain name, lower case, no
// trailing dot); nullopt when malformed. Exposed for tests.
std::optional<std::string> parse_name_rdata(const unsigned char* data, std::size_t size);

// The reverse name of an address: "4.3.2.1.in-addr.arpa", or the nibbles
// of an IPv6 address under ip6.arpa (RFC 3596 2.5).
std::string reverse_name(const asio::ip::address& address);

// The rdata of a TXT record: its character-strings joined; nullopt when a
// length runs past the end. Exposed for tests.
std::optional<std::string> parse_txt_rdata(const unsigned char* data, std::size_t size);

}  // namespace tern::dns
