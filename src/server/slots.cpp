#include "server/slots.hpp"

#include <asio/ip/address.hpp>

#include <algorithm>

#include "core/ip_network.hpp"

namespace tern::server {

SlotTable::SlotTable(const LimitsConfig& limits) : limits_(limits) {}

SlotTable::Admission SlotTable::admit(std::uint64_t id, const std::shared_ptr<net::Connection>& connection) {
  std::string network =
      tern::network_key(connection->peer_address(), limits_.per_ip_prefix_v4, limits_.per_ip_prefix_v6);
  std::lock_guard lock(mutex_);
  Admission admission;
  auto& from_network = per_network_[network];
  if (from_network >= limits_.max_connections_per_ip) {
    admission.verdict = Verdict::network_full;
    return admission;
  }
  if (counted_ >= limits_.max_connections) {
    // Make room: the oldest idle slot whose client has not logged in.
    Slot* victim = nullptr;
    for (auto& [slot_id, slot] : slots_) {
      if (slot.evicting) continue;
      auto held = slot.connection.lock();
      if (!held || !held->idle() || held->authenticated()) continue;
      victim = &slot;
      admission.evicted = std::move(held);
      break;
    }
    if (!victim) {
      if (from_network == 0) per_network_.erase(network);
      admission.verdict = Verdict::server_full;
      return admission;
    }
    victim->evicting = true;
    --counted_;
  }
  ++from_network;
  ++counted_;
  slots_.emplace(id, Slot{connection, std::move(network), false});
  update_stress();
  if (admission.evicted) admission.evicted->evict();
  return admission;
}

void SlotTable::release(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  if (!it->second.evicting) --counted_;
  auto network = per_network_.find(it->second.network);
  if (network != per_network_.end() && --network->second == 0) per_network_.erase(network);
  slots_.erase(it);
  update_stress();
}

void SlotTable::update_stress() {
  const std::uint64_t on =
      (static_cast<std::uint64_t>(limits_.max_connections) * limits_.stress_threshold + 99) / 100;
  // It ends a little below where it began, so a server at the threshold
  // does not go in and out of stress with every connection.
  const std::uint64_t off = on - std::max<std::uint64_t>(on / 10, 1);
  const bool was = stress_.load(std::memory_order_relaxed);
  const bool now = was ? counted_ >= off : counted_ >= on;
  if (now == was) return;
  stress_.store(now, std::memory_order_relaxed);
  if (!now) return;
  // Sessions already waiting took their timeouts before the stress began:
  // those not logged in work theirs out again.
  for (auto& [id, slot] : slots_) {
    if (slot.evicting) continue;
    if (auto held = slot.connection.lock(); held && !held->authenticated()) held->nudge();
  }
}

std::vector<std::shared_ptr<net::Connection>> SlotTable::open() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<net::Connection>> result;
  for (auto& [id, slot] : slots_)
    if (auto c = slot.connection.lock()) result.push_back(std::move(c));
  return result;
}

std::size_t SlotTable::size() {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace tern::server
