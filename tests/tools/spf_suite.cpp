// Runs SPF test scenarios (the RFC 7208 test suite's YAML, converted to
// JSON by spf_suite.py) through tern's SPF evaluator over a stub DNS that
// answers as the suite's reference harness does, and prints each case
// whose result or explanation differs.
//
// Input: [{"zone": [[name, type, value|null], ...],
//          "tests": {id: {"host", "mailfrom", "helo", "result": [..], "explanation"?}}}, ...]
// A null value or a type of "TIMEOUT" makes the lookup time out.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "core/text.hpp"
#include "dns/resolver.hpp"
#include "mailauth/spf_check.hpp"

namespace {

using tern::Errc;
using tern::make_error;
using tern::Result;
using tern::dns::DnsAnswer;

struct Entry {
  std::string type;  // "TIMEOUT" for a bare timeout marker
  nlohmann::json value;
};

class StubDns final : public tern::dns::Resolver {
 public:
  std::map<std::string, std::vector<Entry>> zone;

  asio::awaitable<Result<DnsAnswer>> lookup_mx(std::string name) override { co_return lookup(name, "MX"); }
  asio::awaitable<Result<DnsAnswer>> lookup_addresses(std::string) override {
    co_return make_error(Errc::unavailable, "not used by SPF");
  }
  asio::awaitable<Result<DnsAnswer>> lookup_txt(std::string name) override { co_return lookup(name, "TXT"); }
  asio::awaitable<Result<DnsAnswer>> lookup_a(std::string name) override { co_return lookup(name, "A"); }
  asio::awaitable<Result<DnsAnswer>> lookup_aaaa(std::string name) override { co_return lookup(name, "AAAA"); }
  asio::awaitable<Result<DnsAnswer>> lookup_ptr(std::string name) override { co_return lookup(name, "PTR"); }

 private:
  static std::string normalize(const std::string& name, bool& too_long) {
    std::string out;
    std::size_t start = 0;
    while (start <= name.size()) {
      auto end = name.find('.', start);
      if (end == std::string::npos) end = name.size();
      std::string label = name.substr(start, end - start);
      if (label.size() > 63) too_long = true;
      if (!label.empty()) {
        if (!out.empty()) out += '.';
        out += label;
      }
      start = end + 1;
    }
    return tern::text::to_lower(out);
  }

  static void add(DnsAnswer& answer, const std::string& type, const nlohmann::json& value) {
    if (type == "TXT") {
      std::string joined;
      if (value.is_array()) {
        for (const auto& part : value) joined += part.get<std::string>();
      } else {
        joined = value.get<std::string>();
      }
      answer.txt.push_back(joined);
    } else if (type == "A" || type == "AAAA") {
      answer.addresses.push_back(asio::ip::make_address(value.get<std::string>()));
    } else if (type == "MX") {
      tern::dns::MxRecord mx;
      mx.preference = static_cast<std::uint16_t>(value.at(0).get<int>());
      mx.exchange = tern::text::to_lower(value.at(1).get<std::string>());
      if (!mx.exchange.empty() && mx.exchange.back() == '.') mx.exchange.pop_back();
      answer.mx.push_back(mx);
    } else if (type == "PTR") {
      std::string name = tern::text::to_lower(value.get<std::string>());
      if (!name.empty() && name.back() == '.') name.pop_back();
      answer.names.push_back(name);
    }
  }

  Result<DnsAnswer> lookup(const std::string& raw, const std::string& type, int level = 0) {
    bool too_long = false;
    const std::string name = normalize(raw, too_long);
    if (too_long) return make_error(Errc::unavailable, "DNS label too long");
    DnsAnswer answer;
    auto it = zone.find(name);
    if (it == zone.end()) {
      if (name.starts_with("error.")) return make_error(Errc::unavailable, "DNS timeout");
      answer.nxdomain = true;
      return answer;
    }
    bool timeout = true;
    for (const auto& entry : it->second) {
      if (entry.type == "TIMEOUT") {
        if (timeout) return make_error(Errc::unavailable, "DNS timeout");
        return answer;
      }
      if (entry.type == type) timeout = false;
      if (entry.value.is_null()) {
        if (entry.type == type) return make_error(Errc::unavailable, "DNS timeout");
        continue;
      }
      if (entry.type == type) add(answer, type, entry.value);
      if (entry.type == "CNAME" && level == 0) {
        auto target = lookup(entry.value.get<std::string>(), type, 1);
        if (!target) return target;
        for (auto& t : target->txt) answer.txt.push_back(t);
        for (auto& a : target->addresses) answer.addresses.push_back(a);
        for (auto& m : target->mx) answer.mx.push_back(m);
        for (auto& n : target->names) answer.names.push_back(n);
      }
    }
    return answer;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: spf_suite SCENARIOS.json\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  nlohmann::json scenarios = nlohmann::json::parse(in);
  asio::io_context io;
  int total = 0, failed = 0;
  for (const auto& scenario : scenarios) {
    StubDns dns;
    for (const auto& record : scenario.at("zone")) {
      std::string name = tern::text::to_lower(record.at(0).get<std::string>());
      if (!name.empty() && name.back() == '.') name.pop_back();
      dns.zone[name].push_back(Entry{record.at(1).get<std::string>(), record.at(2)});
    }
    for (const auto& [id, test] : scenario.at("tests").items()) {
      ++total;
      tern::spf::Query query;
      query.ip = asio::ip::make_address(test.at("host").get<std::string>());
      query.sender = test.at("mailfrom").get<std::string>();
      query.helo = test.at("helo").get<std::string>();
      auto future = asio::co_spawn(io, tern::spf::check_host(dns, query), asio::use_future);
      io.restart();
      io.run();
      auto verdict = future.get();
      std::string result(tern::spf::status_name(verdict.status));
      std::set<std::string> expected;
      for (const auto& r : test.at("result")) expected.insert(r.get<std::string>());
      bool ok = expected.count(result) > 0;
      std::string explanation = verdict.explanation.empty() ? "DEFAULT" : verdict.explanation;
      if (test.contains("explanation") && test.at("explanation").get<std::string>() != explanation) ok = false;
      if (!ok) {
        ++failed;
        std::cout << "FAIL " << id << ": got " << result << " (" << verdict.mechanism << ") explanation \""
                  << explanation << "\"; expected " << test.at("result").dump()
                  << (test.contains("explanation") ? " explanation " + test.at("explanation").dump() : "")
                  << "\n";
      }
    }
  }
  std::cout << total - failed << " of " << total << " SPF cases agree\n";
  return failed == 0 ? 0 : 1;
}
