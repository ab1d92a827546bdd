// The in-process maildrop lock registry (RFC 1939 8).
#include "pop3/maildrop_lock.hpp"

#include <mutex>
#include <unordered_set>

namespace tern::pop3 {
namespace {

std::mutex registry_mutex;
std::unordered_set<std::int64_t>& registry() {
  static std::unordered_set<std::int64_t> held;
  return held;
}

}  // namespace

std::optional<MaildropLock> MaildropLock::acquire(std::int64_t account_id) {
  std::lock_guard lock(registry_mutex);
  if (!registry().insert(account_id).second) return std::nullopt;
  return MaildropLock(account_id);
}

MaildropLock& MaildropLock::operator=(MaildropLock&& other) noexcept {
  if (this != &other) {
    release();
    account_id_ = other.account_id_;
    held_ = other.held_;
    other.held_ = false;
  }
  return *this;
}

void MaildropLock::release() {
  if (!held_) return;
  std::lock_guard lock(registry_mutex);
  registry().erase(account_id_);
  held_ = false;
}

}  // namespace tern::pop3
