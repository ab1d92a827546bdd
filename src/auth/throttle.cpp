// Login throttling: sliding-window failure counts per address and per
// account, attempts in progress bounded by what the limits leave, bounded
// tables with least-recently-failed eviction.
#include "auth/throttle.hpp"

#include <asio/ip/address.hpp>

#include <algorithm>
#include <utility>

#include "core/address.hpp"
#include "core/text.hpp"

namespace tern::auth {
namespace {

// User names come from the client; a longer one is cut rather than stored whole.
constexpr std::size_t max_key_octets = 320;

std::chrono::seconds round_up_seconds(std::chrono::steady_clock::duration d) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(d);
  return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleOptions options, Clock clock)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      addresses_(std::max<std::size_t>(options_.max_failures_per_address, 1), std::max<std::size_t>(options_.max_entries, 1)),
      users_(std::max<std::size_t>(options_.max_failures_per_user, 1), std::max<std::size_t>(options_.max_entries, 1)) {}

std::string LoginThrottle::user_key(std::string_view username) {
  // The same parse as the authenticator's, so that every spelling the
  // store would take for one account ("Alice@EXAMPLE.test",
  // "\"alice\"@example.test") is counted as that account.
  address::ParseOptions parse_options;
  parse_options.allow_utf8 = true;
  if (auto parsed = address::parse(username, parse_options)) {
    std::string key = address::canonical(*parsed);
    if (key.size() <= max_key_octets) return key;
  }
  return text::to_lower(username.substr(0, max_key_octets));
}

bool LoginThrottle::trusted(std::string_view remote_address) const {
  if (options_.trusted_networks.empty()) return false;
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(remote_address), ec);
  if (ec) return false;
  return std::any_of(options_.trusted_networks.begin(), options_.trusted_networks.end(),
                     [&](const IpNetwork& network) { return network.contains(address); });
}

Admission LoginThrottle::check(std::string_view remote_address, std::string_view username) {
  const bool counted_address = !trusted(remote_address);
  const std::string address = counted_address ? network_key(remote_address, 32, 64) : std::string();
  const std::string user = username.empty() ? std::string() : user_key(username);
  std::lock_guard lock(mutex_);
  TimePoint now = clock_();
  TimePoint since = now - options_.window;
  Admission admission;
  auto consider = [&](Table& table, const std::string& key) {
    TimePoint oldest;
    if (!table.blocked(key, since, oldest)) return;
    admission.status = AdmissionStatus::blocked;
    admission.retry_after = std::max(admission.retry_after, round_up_seconds(oldest + options_.window - now));
  };
  if (counted_address) consider(addresses_, address);
  if (!user.empty()) consider(users_, user);
  if (admission.status == AdmissionStatus::blocked) return admission;
  // Not blocked, but as many attempts may already be under way as the
  // remaining failures allow: this one waits for one of them to end.
  auto full = [&](Table& table, std::unordered_map<std::string, std::size_t>& pending, const std::string& key) {
    auto it = pending.find(key);
    std::size_t in_progress = it == pending.end() ? 0 : it->second;
    return table.count(key, since) + in_progress >= table.limit();
  };
  if ((counted_address && full(addresses_, pending_addresses_, address)) ||
      (!user.empty() && full(users_, pending_users_, user))) {
    return Admission{AdmissionStatus::wait, std::chrono::seconds(0)};
  }
  if (counted_address) ++pending_addresses_[address];
  if (!user.empty()) ++pending_users_[user];
  return admission;
}

void LoginThrottle::end_pending(const std::string& address, const std::string& user) {
  auto release = [](std::unordered_map<std::string, std::size_t>& table, const std::string& key) {
    auto it = table.find(key);
    if (it == table.end()) return;
    if (--it->second == 0) table.erase(it);
  };
  if (!address.empty()) release(pending_addresses_, address);
  if (!user.empty()) release(pending_users_, user);
}

void LoginThrottle::record_unavailable(std::string_view remote_address, std::string_view username) {
  const std::string address = trusted(remote_address) ? std::string() : network_key(remote_address, 32, 64);
  const std::string user = username.empty() ? std::string() : user_key(username);
  std::lock_guard lock(mutex_);
  end_pending(address, user);
}

std::chrono::milliseconds LoginThrottle::record_failure(std::string_view remote_address, std::string_view username,
                                                        FailureKind kind) {
  const std::string address = trusted(remote_address) ? std::string() : network_key(remote_address, 32, 64);
  const std::string user = username.empty() ? std::string() : user_key(username);
  std::lock_guard lock(mutex_);
  end_pending(address, user);
  TimePoint now = clock_();
  TimePoint since = now - options_.window;
  // Every failure waits at least the first delay, counted or not.
  std::size_t failures = 1;
  if (!address.empty()) {
    addresses_.add(address, now, since);
    failures = std::max(failures, addresses_.count(address, since));
  }
  if (!user.empty() && kind == FailureKind::wrong_password) {
    users_.add(user, now, since);
    failures = std::max(failures, users_.count(user, since));
  }
  return delay_for(failures);
}

void LoginThrottle::record_success(std::string_view remote_address, std::string_view username) {
  const std::string address = trusted(remote_address) ? std::string() : network_key(remote_address, 32, 64);
  const std::string user = username.empty() ? std::string() : user_key(username);
  std::lock_guard lock(mutex_);
  end_pending(address, user);
}

std::size_t LoginThrottle::address_entries() {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

std::size_t LoginThrottle::user_entries() {
  std::lock_guard lock(mutex_);
  return users_.size();
}

std::chrono::milliseconds LoginThrottle::delay_for(std::size_t failures) const {
  if (failures == 0) return std::chrono::milliseconds(0);
  std::chrono::milliseconds delay = options_.first_delay;
  for (std::size_t i = 1; i < failures && delay < options_.max_delay; ++i) delay *= 2;
  return std::min(delay, options_.max_delay);
}

// ---- Table ----

void LoginThrottle::Table::prune(Entry& entry, TimePoint since) {
  auto first_recent = std::find_if(entry.failures.begin(), entry.failures.end(),
                                   [&](TimePoint t) { return t > since; });
  entry.failures.erase(entry.failures.begin(), first_recent);
}

std::size_t LoginThrottle::Table::count(const std::string& key, TimePoint since) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  prune(it->second, since);
  std::size_t n = it->second.failures.size();
  if (n == 0) erase(key);
  return n;
}

bool LoginThrottle::Table::blocked(const std::string& key, TimePoint since, TimePoint& oldest_counted) {
  if (count(key, since) < limit_) return false;
  oldest_counted = entries_.find(key)->second.failures.front();
  return true;
}

void LoginThrottle::Table::add(const std::string& key, TimePoint now, TimePoint since) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    while (entries_.size() >= max_entries_ && !order_.empty()) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    it = entries_.emplace(key, Entry{{}, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  Entry& entry = it->second;
  prune(entry, since);
  entry.failures.push_back(now);
  if (entry.failures.size() > limit_) entry.failures.erase(entry.failures.begin());
}

void LoginThrottle::Table::erase(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase(it->second.order);
  entries_.erase(it);
}

}  // namespace tern::auth
