// Login throttling: sliding-window failure counts per address and per user,
// bounded tables with least-recently-failed eviction.
#include "auth/throttle.hpp"

#include <asio/ip/address.hpp>

#include <algorithm>

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
    : options_(options),
      clock_(std::move(clock)),
      addresses_(std::max<std::size_t>(options.max_failures_per_address, 1), std::max<std::size_t>(options.max_entries, 1)),
      users_(std::max<std::size_t>(options.max_failures_per_user, 1), std::max<std::size_t>(options.max_entries, 1)) {}

std::string LoginThrottle::address_key(std::string_view remote_address) {
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(remote_address), ec);
  if (ec) return std::string(remote_address.substr(0, max_key_octets));
  if (address.is_v6()) {
    auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
    return asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return address.to_string();
}

std::string LoginThrottle::user_key(std::string_view username) {
  return text::to_lower(username.substr(0, max_key_octets));
}

Admission LoginThrottle::check(std::string_view remote_address, std::string_view username) {
  std::lock_guard lock(mutex_);
  TimePoint now = clock_();
  TimePoint since = now - options_.window;
  Admission admission;
  auto consider = [&](Table& table, const std::string& key) {
    TimePoint oldest;
    if (!table.blocked(key, since, oldest)) return;
    admission.allowed = false;
    admission.retry_after = std::max(admission.retry_after, round_up_seconds(oldest + options_.window - now));
  };
  const std::string address = address_key(remote_address);
  const std::string user = username.empty() ? std::string() : user_key(username);
  consider(addresses_, address);
  if (!user.empty()) consider(users_, user);
  if (!admission.allowed) return admission;
  // Failures recorded plus attempts still being checked must stay under the limits.
  auto& address_pending = pending_addresses_[address];
  bool over = addresses_.count(address, since) + address_pending >= std::max<std::size_t>(options_.max_failures_per_address, 1);
  std::size_t* user_pending = nullptr;
  if (!user.empty()) {
    user_pending = &pending_users_[user];
    over = over || users_.count(user, since) + *user_pending >= std::max<std::size_t>(options_.max_failures_per_user, 1);
  }
  if (over) {
    if (address_pending == 0) pending_addresses_.erase(address);
    if (user_pending && *user_pending == 0) pending_users_.erase(user);
    return Admission{false, std::chrono::seconds(1)};
  }
  ++address_pending;
  if (user_pending) ++*user_pending;
  return admission;
}

void LoginThrottle::end_pending(std::string_view remote_address, std::string_view username) {
  auto release = [](std::unordered_map<std::string, std::size_t>& table, const std::string& key) {
    auto it = table.find(key);
    if (it == table.end()) return;
    if (--it->second == 0) table.erase(it);
  };
  release(pending_addresses_, address_key(remote_address));
  if (!username.empty()) release(pending_users_, user_key(username));
}

void LoginThrottle::record_unavailable(std::string_view remote_address, std::string_view username) {
  std::lock_guard lock(mutex_);
  end_pending(remote_address, username);
}

std::chrono::milliseconds LoginThrottle::record_failure(std::string_view remote_address,
                                                        std::string_view username) {
  std::lock_guard lock(mutex_);
  end_pending(remote_address, username);
  TimePoint now = clock_();
  TimePoint since = now - options_.window;
  std::string address = address_key(remote_address);
  addresses_.add(address, now, since);
  std::size_t failures = addresses_.count(address, since);
  if (!username.empty()) {
    std::string user = user_key(username);
    users_.add(user, now, since);
    failures = std::max(failures, users_.count(user, since));
  }
  return delay_for(failures);
}

void LoginThrottle::record_success(std::string_view remote_address, std::string_view username) {
  std::lock_guard lock(mutex_);
  end_pending(remote_address, username);
  if (!username.empty()) users_.erase(user_key(username));
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
