// SUBSCRIBE (RFC 9051 6.3.7) of one of the account's mailboxes.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> set_subscription(Context& ctx, const Command& command, const std::string& raw, bool on) {
  auto name = ctx.mailbox_in(raw);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  if (!valid_mailbox_name(*name)) {
    ctx.no(command, "NONEXISTENT", no_such_mailbox);
    co_return;
  }
  auto done = co_await ctx.env.store.set_subscribed(ctx.account->id, *name, on);
  if (!done) {
    if (done.error().code == Errc::not_found) ctx.no(command, "NONEXISTENT", no_such_mailbox);
    else ctx.store_failed(command, done.error());
    co_return;
  }
  ctx.ok(command, on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Subscribe& subscribe) {
  co_await set_subscription(ctx, command, subscribe.mailbox, true);
}

}  // namespace tern::imap
