// SharedChanges: one changes_since query for many sessions. When a message
// arrives in a mailbox that thousands of IMAP sessions have selected (IDLE),
// every one of them asks the store what changed since the same MODSEQ. Here
// the first asker runs the query and the others that ask the same question
// while it runs receive a copy of its answer, so one delivery costs one query
// per mailbox instead of one per session.
//
// An answer is shared only when it cannot be older than the question: a
// query is joined only if it began after every ChangeHub notification the
// joiner had seen (ChangeHub::epoch), so a session woken by a notification
// always sees the change it was woken for.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "store/store.hpp"

namespace tern::store {

class SharedChanges {
 public:
  explicit SharedChanges(Store& store) : store_(store) {}
  SharedChanges(const SharedChanges&) = delete;
  SharedChanges& operator=(const SharedChanges&) = delete;

  // The answer of store.changes_since(account_id, mailbox_id, modseq), from
  // a read that began after this call did. Resumes on the caller's executor.
  Task<MailboxChanges> changes_since(Id account_id, Id mailbox_id, std::uint64_t modseq);

 private:
  struct Lookup;
  using Key = std::tuple<Id, Id, std::uint64_t>;

  // Waits for the answer of a query another caller runs. Not a coroutine:
  // the initiation is passed as a value, never as a temporary inside a
  // coroutine's co_await expression.
  Task<MailboxChanges> join(std::shared_ptr<Lookup> lookup);
  // Records the answer of a query and hands it to its waiters (the first
  // answer wins; later calls do nothing).
  void finish(const Key& key, const std::shared_ptr<Lookup>& lookup, Result<MailboxChanges> answer);

  Store& store_;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Lookup>> running_;
};

}  // namespace tern::store
