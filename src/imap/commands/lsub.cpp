// LSUB (RFC 3501 6.3.9; kept for rev1 clients): the subscribed mailboxes
// that match.
#include "imap/commands/commands.hpp"
#include "imap/commands/list_match.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Lsub& lsub) {
  auto reference = ctx.mailbox_in(lsub.reference);
  auto pattern = ctx.mailbox_in(lsub.pattern);
  if (!reference || !pattern) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  auto mailboxes = co_await ctx.env.store.list_mailboxes(ctx.account->id);
  if (!mailboxes) {
    ctx.store_failed(command, mailboxes.error());
    co_return;
  }
  const std::string full = combine_reference(lsub.reference.empty() ? std::string() : *reference, *pattern);
  for (const store::Mailbox& m : ordered(*mailboxes)) {
    if (!m.subscribed || !pattern_matches(full, m.name)) continue;
    std::vector<std::string> attributes;
    if (!m.special_use.empty()) attributes.push_back(m.special_use);
    ctx.untagged(list_response("LSUB", attributes, '/', m.name, ctx.utf8));
  }
  ctx.ok(command, "LSUB completed");
}

}  // namespace tern::imap
