// Context: catching the selected mailbox up with the store, store failures.
#include "imap/commands/context.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/log.hpp"

namespace tern::imap {

asio::awaitable<bool> Context::sync(bool allow_expunge) {
  if (!view) co_return true;
  const std::uint64_t known = view->highestmodseq();
  Result<store::MailboxChanges> changes;
  if (env.shared_changes)
    changes = co_await env.shared_changes->changes_since(account->id, view->mailbox_id(), known);
  else
    changes = co_await env.store.changes_since(account->id, view->mailbox_id(), known);
  if (!changes) {
    if (changes.error().code == Errc::not_found) co_return false;  // deleted or renamed away by another session
    log::error("session={} event=store_error op=changes_since error={}", id, log::kv(changes.error().message));
    co_return true;
  }
  if (!changes->vanished_complete) {
    // Expunges older than `known` were forgotten: compare the UID lists.
    auto entries = co_await env.store.list_entries(view->mailbox_id());
    if (entries) {
      std::unordered_set<std::uint32_t> present;
      for (const store::MailEntry& e : *entries) present.insert(e.uid);
      changes->vanished.clear();
      for (const ViewEntry& e : view->entries())
        if (!present.contains(e.uid)) changes->vanished.push_back(e.uid);
    }
  }
  out += view->apply(*changes, view_options(allow_expunge));
  co_return true;
}

void Context::store_failed(const Command& command, const Error& error) {
  log::error("session={} event=store_error command={} error={}", id, log::kv(command.name), log::kv(error.message));
  if (error.code == Errc::unavailable)
    reply(command, Status::no, "UNAVAILABLE", "the mail store is busy, try again");
  else
    reply(command, Status::no, "SERVERBUG", "the mail store failed");
}

}  // namespace tern::imap
