// STATUS (RFC 9051 6.3.11; RFC 8438 SIZE, RFC 9051 DELETED, RFC 7162
// HIGHESTMODSEQ), counted by the store. The selected mailbox may be asked.
#include "imap/commands/commands.hpp"

namespace tern::imap {

std::string status_line(const Context& ctx, const std::string& name, const std::vector<StatusItem>& items,
                        const store::MailboxStatus& status) {
  std::string out = "* STATUS " + ctx.mailbox_out(name) + " (";
  bool first = true;
  for (StatusItem item : items) {
    std::uint64_t value = 0;
    switch (item) {
      case StatusItem::messages: value = status.messages; break;
      case StatusItem::uidnext: value = status.uidnext; break;
      case StatusItem::uidvalidity: value = status.uidvalidity; break;
      case StatusItem::unseen: value = status.unseen; break;
      case StatusItem::deleted: value = status.deleted; break;
      case StatusItem::size: value = status.size; break;
      case StatusItem::recent: value = status.recent; break;  // RFC 3501 \Recent (RFC 9051 removed it)
      case StatusItem::highestmodseq: value = status.highestmodseq; break;
    }
    if (!first) out += ' ';
    first = false;
    out += status_item_name(item);
    out += ' ';
    out += std::to_string(value);
  }
  out += ")\r\n";
  return out;
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Status& status) {
  auto name = ctx.mailbox_in(status.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  auto mailbox = co_await ctx.existing_mailbox(command, *name, "NONEXISTENT");
  if (!mailbox) co_return;
  auto counts = co_await ctx.env.store.mailbox_status(ctx.account->id, mailbox->id);
  if (!counts) {
    ctx.store_failed(command, counts.error());
    co_return;
  }
  for (StatusItem item : status.items)
    if (item == StatusItem::highestmodseq) ctx.condstore = true;  // RFC 7162 3.1.2
  ctx.untagged(status_line(ctx, mailbox->name, status.items, *counts));
  ctx.ok(command, "STATUS completed");
}

}  // namespace tern::imap
