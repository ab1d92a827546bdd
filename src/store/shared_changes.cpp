// SharedChanges: the running queries and the hand-out of their answer.
#include "store/shared_changes.hpp"

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <functional>
#include <optional>
#include <vector>

namespace tern::store {

struct SharedChanges::Lookup {
  explicit Lookup(std::uint64_t started_epoch) : epoch(started_epoch) {}
  const std::uint64_t epoch;  // the hub's epoch read before the query began
  std::optional<Result<MailboxChanges>> answer;  // set once, under the mutex
  std::vector<std::function<void(const Result<MailboxChanges>&)>> waiters;
};

namespace {

// Resumes a waiting coroutine on its own executor with a copy of the answer.
template <class Handler>
void post_answer(Handler& handler, const Result<MailboxChanges>& answer) {
  auto executor = asio::get_associated_executor(handler);
  asio::post(executor, [handler = std::move(handler), answer]() mutable { std::move(handler)(std::move(answer)); });
}

// Runs its function when destroyed.
class Abandoned {
 public:
  explicit Abandoned(std::function<void()> on_destroy) : on_destroy_(std::move(on_destroy)) {}
  Abandoned(const Abandoned&) = delete;
  Abandoned& operator=(const Abandoned&) = delete;
  ~Abandoned() { on_destroy_(); }

 private:
  std::function<void()> on_destroy_;
};

}  // namespace

Task<MailboxChanges> SharedChanges::join(std::shared_ptr<Lookup> lookup) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<MailboxChanges>)>(
      [this](auto handler, std::shared_ptr<Lookup> joined) {
        std::lock_guard lock(mutex_);
        if (joined->answer) {
          post_answer(handler, *joined->answer);
          return;
        }
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        joined->waiters.emplace_back([shared](const Result<MailboxChanges>& answer) { post_answer(*shared, answer); });
      },
      asio::use_awaitable, std::move(lookup));
}

Task<MailboxChanges> SharedChanges::changes_since(Id account_id, Id mailbox_id, std::uint64_t modseq) {
  const std::uint64_t epoch = store_.change_hub().epoch();
  const Key key{account_id, mailbox_id, modseq};
  std::shared_ptr<Lookup> lookup;
  bool lead = false;
  {
    std::lock_guard lock(mutex_);
    auto it = running_.find(key);
    if (it != running_.end() && it->second->epoch >= epoch) {
      lookup = it->second;
    } else {
      lookup = std::make_shared<Lookup>(epoch);
      running_[key] = lookup;
      lead = true;
    }
  }
  if (!lead) co_return co_await join(std::move(lookup));

  // The waiters are answered even if this coroutine ends without a result
  // (destroyed at shutdown, or an exception): they must not wait forever.
  Abandoned abandoned{[this, &key, &lookup] {
    finish(key, lookup, make_error(Errc::unavailable, "the shared changes_since query was abandoned"));
  }};
  auto answer = co_await store_.changes_since(account_id, mailbox_id, modseq);
  finish(key, lookup, answer);
  co_return answer;
}

void SharedChanges::finish(const Key& key, const std::shared_ptr<Lookup>& lookup, Result<MailboxChanges> answer) {
  std::vector<std::function<void(const Result<MailboxChanges>&)>> waiters;
  {
    std::lock_guard lock(mutex_);
    if (lookup->answer) return;
    auto it = running_.find(key);
    if (it != running_.end() && it->second == lookup) running_.erase(it);
    lookup->answer = std::move(answer);
    waiters.swap(lookup->waiters);
  }
  for (auto& waiter : waiters) waiter(*lookup->answer);
}

}  // namespace tern::store
