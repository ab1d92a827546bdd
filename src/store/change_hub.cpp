// ChangeHub: the subscriber table and the fan-out after a commit.
#include "store/change_hub.hpp"

#include <algorithm>

namespace tern::store {

ChangeHub::Subscription& ChangeHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    hub_ = other.hub_;
    id_ = other.id_;
    other.hub_ = nullptr;
  }
  return *this;
}

void ChangeHub::Subscription::reset() {
  if (hub_ != nullptr) hub_->unsubscribe(id_);
  hub_ = nullptr;
}

ChangeHub::Subscription ChangeHub::subscribe(Id mailbox_id, Callback callback) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  subscribers_.emplace(id, Entry{mailbox_id, std::move(callback)});
  return Subscription(this, id);
}

void ChangeHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(id);
}

void ChangeHub::notify(const std::vector<Id>& mailbox_ids) {
  if (mailbox_ids.empty()) return;
  std::vector<Id> unique = mailbox_ids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::lock_guard lock(mutex_);
  epoch_.fetch_add(1);
  for (auto& [id, entry] : subscribers_) {
    if (std::binary_search(unique.begin(), unique.end(), entry.mailbox_id)) entry.callback(entry.mailbox_id);
  }
}

}  // namespace tern::store
