#include "queue/routing.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace tern::queue {

FixedRoute fixed_route(const RelayConfig& relay, std::string_view domain) {
  FixedRoute out;
  std::string target;
  if (auto it = relay.routes.find(std::string(domain)); it != relay.routes.end()) {
    target = it->second;
  } else if (!relay.smarthost.empty()) {
    target = relay.smarthost;
    out.smarthost = true;
  } else {
    return out;
  }
  auto endpoint = parse_endpoint(target);  // validated with the config
  if (!endpoint) return FixedRoute{};
  out.found = true;
  out.hop = Hop{endpoint->host, endpoint->port};
  return out;
}

bool is_null_mx(const std::vector<MxRecord>& records) {
  return records.size() == 1 && records[0].exchange.empty();
}

std::vector<Hop> order_mx(std::vector<MxRecord> records, std::mt19937& random) {
  std::erase_if(records, [](const MxRecord& r) { return r.exchange.empty(); });
  // Shuffle first, then a stable sort by preference: equals stay randomised.
  std::shuffle(records.begin(), records.end(), random);
  std::stable_sort(records.begin(), records.end(),
                   [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
  std::vector<Hop> hops;
  for (auto& record : records) {
    bool seen = std::any_of(hops.begin(), hops.end(), [&](const Hop& h) { return h.host == record.exchange; });
    if (!seen) hops.push_back(Hop{std::move(record.exchange), 25});
  }
  return hops;
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return text::to_lower(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
}

}  // namespace tern::queue
