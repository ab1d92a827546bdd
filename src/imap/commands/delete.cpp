// DELETE (RFC 9051 6.3.5). tern refuses to delete a mailbox that has
// inferiors ([HASCHILDREN]) rather than keeping it as \Noselect; INBOX
// cannot be deleted. Deleting the selected mailbox deselects it.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Delete& del) {
  auto name = ctx.mailbox_in(del.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  if (*name == "INBOX") {
    ctx.no(command, "CANNOT", "INBOX cannot be deleted");
    co_return;
  }
  if (!valid_mailbox_name(*name)) {
    ctx.no(command, "NONEXISTENT", no_such_mailbox);
    co_return;
  }
  const bool selected = ctx.view && ctx.view->name() == *name;
  auto deleted = co_await ctx.env.store.delete_mailbox(ctx.account->id, *name);
  if (!deleted) {
    switch (deleted.error().code) {
      case Errc::not_found: ctx.no(command, "NONEXISTENT", no_such_mailbox); break;
      case Errc::conflict: ctx.no(command, "HASCHILDREN", "the mailbox has inferior mailboxes"); break;
      case Errc::invalid: ctx.no(command, "CANNOT", deleted.error().message); break;
      default: ctx.store_failed(command, deleted.error());
    }
    co_return;
  }
  if (selected) {
    ctx.view.reset();
    ctx.state = SessionState::authenticated;
    ctx.untagged("* OK [CLOSED] the selected mailbox was deleted\r\n");
  }
  ctx.ok(command, "DELETE completed");
}

}  // namespace tern::imap
