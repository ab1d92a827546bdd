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

asio::awaitable<bool> Context::room_for_mailbox(const Command& command, const std::string& name, long extra) {
  auto existing = co_await env.store.list_mailboxes(account->id);
  if (!existing) {
    store_failed(command, existing.error());
    co_return false;
  }
  std::unordered_set<std::string> names;
  for (const store::Mailbox& m : *existing) names.insert(m.name);
  // The name and each of its parents that does not exist yet.
  long total = static_cast<long>(names.size()) + extra;
  for (std::size_t end = 0; end != std::string::npos;) {
    end = name.find('/', end + 1);
    if (!names.contains(name.substr(0, end))) ++total;
  }
  if (total <= static_cast<long>(env.config.limits.max_mailboxes)) co_return true;
  log::info("session={} event=mailbox_limit user={} mailboxes={} limit={}", id, log::kv(account->address),
            names.size(), env.config.limits.max_mailboxes);
  no(command, "LIMIT", "too many mailboxes");
  co_return false;
}

asio::awaitable<std::optional<store::Mailbox>> Context::existing_mailbox(const Command& command, std::string name,
                                                                        std::string_view missing) {
  auto found = co_await find_mailbox(std::move(name));
  if (!found) {
    store_failed(command, found.error());
    co_return std::nullopt;
  }
  if (!*found) no(command, missing, no_such_mailbox);
  co_return std::move(*found);
}

void Context::store_failed(const Command& command, const Error& error) {
  log::error("session={} event=store_error command={} error={}", id, log::kv(command.name), log::kv(error.message));
  if (error.code == Errc::unavailable)
    reply(command, Status::no, "UNAVAILABLE", "the mail store is busy, try again");
  else
    reply(command, Status::no, "SERVERBUG", "the mail store failed");
}

}  // namespace tern::imap
