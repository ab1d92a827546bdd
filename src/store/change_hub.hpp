// ChangeHub: tells the sessions of this process that a mailbox changed (a
// message arrived, flags changed, entries were expunged, copied or moved, the
// mailbox was renamed or deleted), so that IMAP IDLE (RFC 2177, RFC 9051
// 6.3.13) learns of it at once instead of polling. The store fires it after
// the transaction that made the change has committed, never before: a
// subscriber that then asks the store (changes_since) sees the change.
//
// The hub belongs to the store and lives as long as it: drop every
// Subscription before the store is destroyed.
//
// In-process only. A deployment of several nodes on one database would feed
// the hub from the database's own notifications (PostgreSQL LISTEN/NOTIFY);
// the interface stays the same.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "store/types.hpp"

namespace tern::store {

class ChangeHub {
 public:
  // Called on a store thread with the id of the changed mailbox. It must be
  // cheap and must not block (post to the session's executor) and must not
  // call subscribe or unsubscribe.
  using Callback = std::function<void(Id mailbox_id)>;

  // Unsubscribes when destroyed; movable, so a session can hold one.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(ChangeHub* hub, std::uint64_t id) : hub_(hub), id_(id) {}
    Subscription(Subscription&& other) noexcept : hub_(other.hub_), id_(other.id_) { other.hub_ = nullptr; }
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    void reset();
    bool active() const { return hub_ != nullptr; }

   private:
    ChangeHub* hub_ = nullptr;
    std::uint64_t id_ = 0;
  };

  ChangeHub() = default;
  ChangeHub(const ChangeHub&) = delete;
  ChangeHub& operator=(const ChangeHub&) = delete;

  // Calls `callback` after every committed change to `mailbox_id`.
  [[nodiscard]] Subscription subscribe(Id mailbox_id, Callback callback);
  // Once it returns, the callback is not running and is never called again.
  void unsubscribe(std::uint64_t id);

  // Fires the callbacks of every mailbox in `mailbox_ids` (each once).
  void notify(const std::vector<Id>& mailbox_ids);

  // Counts notify() calls, advanced before their callbacks run: a store read
  // that begins after epoch() returned E sees every change whose
  // notification counted towards E (SharedChanges relies on it).
  std::uint64_t epoch() const { return epoch_.load(); }

 private:
  struct Entry {
    Id mailbox_id = 0;
    Callback callback;
  };
  // Held while callbacks run, so that unsubscribe waits for a running one.
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> subscribers_;
  std::atomic<std::uint64_t> epoch_{0};
};

}  // namespace tern::store
