// A dns::Resolver answering from maps, for tests: a name missing from a
// type's map is NXDOMAIN, a name in `failing` a temporary failure. Every
// query is counted.
#pragma once

#include <asio/ip/address.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/text.hpp"
#include "dns/resolver.hpp"

namespace tern::test {

class StubResolver final : public dns::Resolver {
 public:
  std::map<std::string, std::vector<std::string>> txt;
  std::map<std::string, std::vector<std::string>> a, aaaa;  // addresses as text
  std::map<std::string, std::vector<dns::MxRecord>> mx;
  std::map<std::string, std::vector<std::string>> ptr;
  std::set<std::string> failing;
  int queries = 0;

  asio::awaitable<Result<dns::DnsAnswer>> lookup_txt(std::string name) override {
    co_return answer(name, txt, [](dns::DnsAnswer& out, const std::string& v) { out.txt.push_back(v); });
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_a(std::string name) override {
    co_return answer(name, a, add_address);
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_aaaa(std::string name) override {
    co_return answer(name, aaaa, add_address);
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_addresses(std::string name) override {
    auto v4 = answer(name, a, add_address);
    auto v6 = answer(name, aaaa, add_address);
    if (!v4) co_return v4;
    if (!v6) co_return v6;
    for (auto& address : v6->addresses) v4->addresses.push_back(address);
    v4->nxdomain = v4->nxdomain && v6->nxdomain;
    co_return v4;
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_mx(std::string name) override {
    co_return answer(name, mx, [](dns::DnsAnswer& out, const dns::MxRecord& v) { out.mx.push_back(v); });
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_ptr(std::string name) override {
    co_return answer(name, ptr, [](dns::DnsAnswer& out, const std::string& v) { out.names.push_back(v); });
  }

 private:
  static void add_address(dns::DnsAnswer& out, const std::string& v) {
    out.addresses.push_back(asio::ip::make_address(v));
  }

  // Known names answer with their records of the type (none: an empty
  // answer when the name has records of another type, NXDOMAIN otherwise).
  template <class Map, class Add>
  Result<dns::DnsAnswer> answer(const std::string& raw, const Map& map, Add add) {
    ++queries;
    const std::string name = text::to_lower(raw);
    if (failing.count(name)) return make_error(Errc::unavailable, "SERVFAIL from the stub");
    dns::DnsAnswer out;
    auto it = map.find(name);
    if (it == map.end()) {
      out.nxdomain = !known(name);
      return out;
    }
    for (const auto& v : it->second) add(out, v);
    return out;
  }

  bool known(const std::string& name) const {
    return txt.count(name) || a.count(name) || aaaa.count(name) || mx.count(name) || ptr.count(name);
  }
};

}  // namespace tern::test
