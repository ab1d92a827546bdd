// The connection slots: how many connections the server holds in all and
// per network, and what happens as they fill up. Postfix's stress mode and
// Dovecot's login processes do the same thing:
//  - a network (an IPv4 address, an IPv6 /64, or wider prefixes as the
//    config says) at its limit is refused;
//  - once limits.stress_threshold percent of the slots are taken, the
//    server is under stress: sessions that have not logged in get short
//    timeouts (session::Engine reads the flag; those already waiting are
//    nudged to work their wait out again); the stress ends when use falls
//    a tenth below the threshold;
//  - a newcomer that finds every slot taken closes the oldest idle
//    connection that has not logged in, instead of being refused, so a
//    flood of idle connections cannot lock legitimate clients out; logged-in
//    sessions keep their slots.
// Thread-safe: the accept loops and the sessions' ends call it from any
// network thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "net/connection.hpp"

namespace tern::server {

class SlotTable {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Verdict { admitted, network_full, server_full };
  struct Admission {
    Verdict verdict = Verdict::admitted;
    // The connection closed to make room (it says goodbye itself), if any.
    std::shared_ptr<net::Connection> evicted;
  };

  explicit SlotTable(const LimitsConfig& limits);

  // Takes a slot for `connection` under `id`, or says why not.
  Admission admit(std::uint64_t id, const std::shared_ptr<net::Connection>& connection);
  // Gives the slot of an admitted connection back.
  void release(std::uint64_t id);

  // Set while limits.stress_threshold percent of the slots are taken.
  const std::atomic<bool>& stress() const { return stress_; }
  // The connections that hold slots (a shutdown says goodbye to them).
  std::vector<std::shared_ptr<net::Connection>> open();
  std::size_t size();

  // A peer address is counted under network_key (core/ip_network.hpp) with
  // the configured prefixes.

 private:
  struct Slot {
    std::weak_ptr<net::Connection> connection;
    std::string network;
    bool evicting = false;  // asked to leave; no longer counted against the total
  };
  void update_stress();

  const LimitsConfig& limits_;
  std::mutex mutex_;
  std::map<std::uint64_t, Slot> slots_;  // ordered by id: oldest first
  std::unordered_map<std::string, std::uint32_t> per_network_;
  std::size_t counted_ = 0;  // slots not being evicted
  std::atomic<bool> stress_{false};
};

}  // namespace tern::server
