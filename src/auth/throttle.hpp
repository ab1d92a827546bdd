// Login throttling against password guessing. Failed logins are counted per
// remote address and per user name in a sliding window. Each failure earns a
// delay (doubling, capped) that the session waits before it answers, and too
// many failures in the window block further attempts until the oldest
// counted failure leaves the window.
// Security: IPv6 addresses are counted per /64, since one host usually holds
// the whole prefix. The per-user limit is higher than the per-address one so
// that a stranger cannot lock a user out cheaply, yet guessing spread over
// many addresses still stops. Memory is bounded: each table keeps at most
// max_entries keys and forgets the least recently failing one first.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tern::auth {

struct ThrottleOptions {
  std::chrono::seconds window{300};
  std::size_t max_failures_per_address = 10;
  std::size_t max_failures_per_user = 30;
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{5000};
  std::size_t max_entries = 10000;  // per table (addresses, users)
};

struct Admission {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: until the block lifts
};

class LoginThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LoginThrottle(ThrottleOptions options = {}, Clock clock = &std::chrono::steady_clock::now);

  // Asks before verifying credentials. An admitted attempt counts as in
  // progress until record_failure, record_success or record_unavailable is
  // called for it; each admitted check must be followed by exactly one.
  Admission check(std::string_view remote_address, std::string_view username);

  // Records a failed login and returns how long to wait before answering it.
  std::chrono::milliseconds record_failure(std::string_view remote_address, std::string_view username);

  // A successful login clears the user's own failures; the address's count
  // stays, or one good account would let its holder reset the count between
  // guesses at other accounts.
  void record_success(std::string_view remote_address, std::string_view username);

  // An admitted attempt whose credentials could not be checked (the store
  // failed): it no longer counts as in progress.
  void record_unavailable(std::string_view remote_address, std::string_view username);

  // The key an address is counted under ("2001:db8:1:2::/64", "192.0.2.1").
  static std::string address_key(std::string_view remote_address);
  // The key a user name is counted under: ASCII case folded.
  static std::string user_key(std::string_view username);

  // Keys currently remembered, for tests and metrics.
  std::size_t address_entries();
  std::size_t user_entries();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Failure times per key, newest last, with the keys in least-recently-failed order.
  class Table {
   public:
    Table(std::size_t limit, std::size_t max_entries) : limit_(limit), max_entries_(max_entries) {}
    std::size_t count(const std::string& key, TimePoint since);
    // When the key is blocked: the time its limit-th newest failure was.
    bool blocked(const std::string& key, TimePoint since, TimePoint& oldest_counted);
    void add(const std::string& key, TimePoint now, TimePoint since);
    void erase(const std::string& key);
    std::size_t size() const { return entries_.size(); }

   private:
    struct Entry {
      std::vector<TimePoint> failures;  // newest last, at most limit_ kept
      std::list<std::string>::iterator order;
    };
    void prune(Entry& entry, TimePoint since);

    std::size_t limit_;
    std::size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> order_;  // front: least recently failed
  };

  std::chrono::milliseconds delay_for(std::size_t failures) const;

  ThrottleOptions options_;
  Clock clock_;
  std::mutex mutex_;
  Table addresses_;
  Table users_;
  // Attempts admitted by check() and not yet recorded. They count against
  // the limits, or parallel sessions would each be admitted before the first
  // failure is recorded (a password check takes a while).
  std::unordered_map<std::string, std::size_t> pending_addresses_;
  std::unordered_map<std::string, std::size_t> pending_users_;
  void end_pending(std::string_view remote_address, std::string_view username);
};

}  // namespace tern::auth
