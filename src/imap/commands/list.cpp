// LIST (RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258: SUBSCRIBED, REMOTE,
// RECURSIVEMATCH, CHILDREN, SPECIAL-USE), LIST-STATUS (RFC 5819) and the
// special-use attributes (RFC 6154). Every name in the store is a real
// mailbox, so \Noselect only appears for the empty-pattern query.
#include <algorithm>

#include "imap/commands/commands.hpp"
#include "imap/commands/list_match.hpp"

namespace tern::imap {

std::string status_line(const Context& ctx, const std::string& name, const std::vector<StatusItem>& items,
                        const store::MailboxStatus& status);

asio::awaitable<void> run(Context& ctx, const Command& command, const command::List& list) {
  if (list.patterns.size() == 1 && list.patterns[0].empty() && !list.extended) {
    // RFC 9051 6.3.9: the hierarchy delimiter and the root of the reference.
    ctx.untagged("* LIST (\\Noselect) \"/\" \"\"\r\n");
    ctx.ok(command, "LIST completed");
    co_return;
  }
  auto reference = ctx.mailbox_in(list.reference);
  std::vector<std::string> patterns;
  for (const std::string& raw : list.patterns) {
    auto pattern = ctx.mailbox_in(raw);
    if (!reference || !pattern) {
      ctx.bad(command, "invalid mailbox name");
      co_return;
    }
    patterns.push_back(combine_reference(list.reference.empty() ? std::string() : *reference, *pattern));
  }
  auto mailboxes = co_await ctx.env.store.list_mailboxes(ctx.account->id);
  if (!mailboxes) {
    ctx.store_failed(command, mailboxes.error());
    co_return;
  }
  const bool show_subscribed = list.return_subscribed || list.select_subscribed;
  for (const store::Mailbox& m : ordered(*mailboxes)) {
    bool matched = false;
    for (const std::string& p : patterns) matched = matched || pattern_matches(p, m.name);
    if (!matched) continue;
    if (list.select_special_use && m.special_use.empty()) continue;
    std::string extended;
    if (list.select_subscribed && !m.subscribed) {
      // RECURSIVEMATCH (RFC 5258 3.5): a parent of subscribed mailboxes.
      if (!list.recursive_match || !has_subscribed_child(*mailboxes, m.name)) continue;
      extended = "(\"CHILDINFO\" (\"SUBSCRIBED\"))";
    }
    std::vector<std::string> attributes;
    attributes.emplace_back(has_children(*mailboxes, m.name) ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && m.subscribed) attributes.emplace_back("\\Subscribed");
    if (!m.special_use.empty()) attributes.push_back(m.special_use);
    ctx.untagged(list_response("LIST", attributes, '/', m.name, ctx.utf8, extended));
    if (list.return_status) {
      auto counts = co_await ctx.env.store.mailbox_status(ctx.account->id, m.id);
      if (counts) ctx.untagged(status_line(ctx, m.name, *list.return_status, *counts));
    }
  }
  ctx.ok(command, "LIST completed");
}

}  // namespace tern::imap
