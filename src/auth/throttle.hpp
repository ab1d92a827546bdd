// Login throttling against password guessing. Failed logins are counted in
// a sliding window per remote address and per account. Each failure earns a
// delay (doubling, capped) that the session waits before it answers, and
// too many failures in the window block further attempts, unchecked, until
// the failure that reached the limit leaves the window.
// Only failures count: attempts still being verified never block. They are
// bounded instead (failures plus attempts in progress stay under each
// limit), and an attempt over that bound waits its turn rather than being
// refused, so a burst of good logins from one address all get through while
// parallel guesses get no more checks than the limit.
// Security: IPv6 addresses are counted per /64, since one host usually holds
// the whole prefix. Trusted networks (a webmail host, a NAT) are not counted
// per address; the per-account limit still applies to them. A user name
// that names no account counts against the address only: guessing names is
// guessing, but it creates no per-user entry, so it can neither block an
// account nor push real accounts' counts out of the table. Memory is
// bounded: each table keeps at most max_entries keys and forgets the least
// recently failing one first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip_network.hpp"

namespace tern::auth {

struct ThrottleOptions {
  std::chrono::seconds window{300};
  std::size_t max_failures_per_address = 10;
  std::size_t max_failures_per_user = 30;
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{5000};
  std::size_t max_entries = 10000;  // per table (addresses, users)
  std::vector<IpNetwork> trusted_networks{};  // not counted or blocked per address
};

enum class AdmissionStatus : std::uint8_t {
  admitted,  // verify the credentials, then record the outcome
  wait,      // as many attempts are in progress as the limit allows: ask again shortly
  blocked,   // too many failures in the window: refuse without checking
};

struct Admission {
  AdmissionStatus status = AdmissionStatus::admitted;
  std::chrono::seconds retry_after{0};  // when blocked: until the block lifts
  bool allowed() const { return status == AdmissionStatus::admitted; }
};

// What the credentials check found, for record_failure.
enum class FailureKind : std::uint8_t {
  wrong_password,  // the account exists: counted per address and per account
  unknown_user,    // no such account (or not an address): counted per address only
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
  std::chrono::milliseconds record_failure(std::string_view remote_address, std::string_view username,
                                           FailureKind kind = FailureKind::wrong_password);

  // A successful login ends the attempt and nothing else: the account's
  // failures stay, or its owner's mail client, logging in every few
  // minutes, would wipe out the count of guesses from elsewhere.
  void record_success(std::string_view remote_address, std::string_view username);

  // An admitted attempt whose credentials could not be checked (the store
  // failed): it no longer counts as in progress.
  void record_unavailable(std::string_view remote_address, std::string_view username);

  // An address is counted under network_key(address, 32, 64)
  // (core/ip_network.hpp): "192.0.2.1", "2001:db8:1:2::/64".
  // The key a user name is counted under: the account address it names, in
  // the store's canonical form (any spelling of one address is one key:
  // ASCII case, needless quotes), or the ASCII-folded name when it is not an
  // address.
  static std::string user_key(std::string_view username);

  bool trusted(std::string_view remote_address) const;

  // Keys currently remembered, for tests and metrics.
  std::size_t address_entries();
  std::size_t user_entries();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Failure times per key, newest last, with the keys in least-recently-failed order.
  class Table {
   public:
    Table(std::size_t limit, std::size_t max_entries) : limit_(limit), max_entries_(max_entries) {}
    std::size_t limit() const { return limit_; }
    std::size_t count(const std::string& key, TimePoint since);
    // When the key is blocked: the time its limit-th newest failure was.
    bool blocked(const std::string& key, TimePoint since, TimePoint& oldest_counted);
    void add(const std::string& key, TimePoint now, TimePoint since);
    std::size_t size() const { return entries_.size(); }

   private:
    struct Entry {
      std::vector<TimePoint> failures;  // newest last, at most limit_ kept
      std::list<std::string>::iterator order;
    };
    void prune(Entry& entry, TimePoint since);
    void erase(const std::string& key);

    std::size_t limit_;
    std::size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> order_;  // front: least recently failed
  };

  std::chrono::milliseconds delay_for(std::size_t failures) const;
  void end_pending(const std::string& address, const std::string& user);

  ThrottleOptions options_;
  Clock clock_;
  std::mutex mutex_;
  Table addresses_;
  Table users_;
  // Attempts admitted by check() and not yet recorded, per key (trusted
  // addresses are not kept). Failures plus these stay under each limit, or
  // parallel sessions would each be admitted before the first failure is
  // recorded (a password check takes a while).
  std::unordered_map<std::string, std::size_t> pending_addresses_;
  std::unordered_map<std::string, std::size_t> pending_users_;
};

}  // namespace tern::auth
