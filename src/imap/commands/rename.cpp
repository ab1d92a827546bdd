// RENAME (RFC 9051 6.3.6): inferiors move with the mailbox; renaming INBOX
// moves its messages into the new mailbox and leaves INBOX empty.
#include "imap/commands/commands.hpp"
#include "imap/commands/mailbox_names.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Rename& rename) {
  auto from = ctx.mailbox_in(rename.from);
  auto decoded = ctx.mailbox_in(rename.to);
  std::optional<std::string> to;
  if (decoded) to = name_to_create(*decoded);
  if (!from || !decoded) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  if (!valid_mailbox_name(*from)) {
    ctx.no(command, "NONEXISTENT", no_such_mailbox);
    co_return;
  }
  if (!to) {
    ctx.no(command, "CANNOT", "tern does not accept that mailbox name");
    co_return;
  }
  if (*to == "INBOX") {
    ctx.no(command, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  // Renaming INBOX makes a new mailbox; any other keeps the count.
  const bool room = co_await ctx.room_for_mailbox(command, *to, *from == "INBOX" ? 0 : -1);
  if (!room) co_return;
  auto renamed = co_await ctx.env.store.rename_mailbox(ctx.account->id, *from, *to);
  if (!renamed) {
    switch (renamed.error().code) {
      case Errc::not_found: ctx.no(command, "NONEXISTENT", no_such_mailbox); break;
      case Errc::already_exists: ctx.no(command, "ALREADYEXISTS", "the new name exists"); break;
      case Errc::invalid: ctx.no(command, "CANNOT", renamed.error().message); break;
      default: ctx.store_failed(command, renamed.error());
    }
    co_return;
  }
  ctx.ok(command, "RENAME completed");
}

}  // namespace tern::imap
