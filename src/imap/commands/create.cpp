// CREATE (RFC 9051 6.3.4), with USE (RFC 6154 3, CREATE-SPECIAL-USE).
#include "core/text.hpp"
#include "imap/commands/commands.hpp"
#include "imap/commands/mailbox_names.hpp"
#include "imap/protocol/lexer.hpp"

namespace tern::imap {
namespace {

std::optional<std::string> special_use(const std::vector<std::string>& uses) {
  static constexpr const char* known[] = {"\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                          "\\Junk", "\\Sent", "\\Trash"};
  if (uses.empty()) return std::string();
  if (uses.size() > 1) return std::nullopt;  // one attribute per mailbox in tern's store
  for (const char* k : known)
    if (text::iequals(uses[0], k)) return std::string(k);
  return std::nullopt;
}

}  // namespace

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Create& create) {
  auto decoded = ctx.mailbox_in(create.mailbox);
  std::optional<std::string> name;
  if (decoded) name = name_to_create(*decoded);
  if (!decoded) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  if (!name) {
    ctx.no(command, "CANNOT", "tern does not accept that mailbox name");
    co_return;
  }
  if (*name == "INBOX") {
    ctx.no(command, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  auto use = special_use(create.special_use);
  if (!use) {
    ctx.no(command, "USEATTR", "unsupported special-use attribute");
    co_return;
  }
  const bool room = co_await ctx.room_for_mailbox(command, *name);
  if (!room) co_return;
  auto created = co_await ctx.env.store.create_mailbox(ctx.account->id, *name, *use);
  if (!created) {
    if (created.error().code == Errc::already_exists)
      ctx.no(command, "ALREADYEXISTS", "the mailbox already exists");
    else if (created.error().code == Errc::invalid)
      ctx.no(command, "CANNOT", created.error().message);
    else
      ctx.store_failed(command, created.error());
    co_return;
  }
  ctx.ok(command, "CREATE completed");
}

}  // namespace tern::imap
