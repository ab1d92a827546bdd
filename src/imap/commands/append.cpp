// APPEND (RFC 9051 6.3.12) with MULTIAPPEND (RFC 3502: all messages or
// none are acknowledged — each is durable when stored, and a failure part
// way is answered NO with the ones already stored reported nowhere else),
// flags, internal date, literal8 (RFC 3516 4.4) and APPENDUID (RFC 4315).
#include <ctime>

#include "core/log.hpp"
#include "imap/commands/commands.hpp"
#include "store/prepare_message.hpp"

namespace tern::imap {
namespace {

store::UnixTime to_unix(const DateTime& dt) {
  std::tm tm{};
  tm.tm_year = dt.date.year - 1900;
  tm.tm_mon = dt.date.month - 1;
  tm.tm_mday = dt.date.day;
  tm.tm_hour = dt.hour;
  tm.tm_min = dt.minute;
  tm.tm_sec = dt.second;
  return static_cast<store::UnixTime>(timegm(&tm)) - dt.zone_minutes * 60;
}

}  // namespace

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Append& append) {
  auto name = ctx.mailbox_in(append.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  auto mailbox = co_await ctx.existing_mailbox(command, *name, "TRYCREATE");
  if (!mailbox) co_return;
  std::vector<std::uint32_t> uids;
  for (const command::AppendMessage& message : append.messages) {
    if (message.spooled && message.spooled->failed()) {
      log::error("session={} event=spool_error error={}", ctx.id, log::kv(message.spooled->error()));
      ctx.no(command, "SERVERBUG", "cannot keep the message: " + message.spooled->error());
      co_return;
    }
    if (message.size() == 0) {
      ctx.no(command, "CANNOT", "empty message");
      co_return;
    }
    if (message.size() > ctx.env.config.limits.max_message_size) {
      ctx.no(command, "TOOBIG", "message too large");
      co_return;
    }
    const bool has_nul = message.spooled ? message.spooled->has_nul() : message.data.find('\0') != std::string::npos;
    if (!message.binary && has_nul) {
      // RFC 9051 6.3.12: NUL needs literal8 and BINARY.
      ctx.no(command, "CANNOT", "NUL octets need a literal8 (~{n})");
      co_return;
    }
    auto flags = split_flags(message.flags);
    if (!flags) {
      ctx.bad(command, "invalid flag");
      co_return;
    }
    const store::UnixTime date =
        message.internal_date ? to_unix(*message.internal_date) : static_cast<store::UnixTime>(std::time(nullptr));
    store::NewMessage prepared;
    if (message.spooled) {
      // A large literal: canonical already, mapped from its spool file.
      auto spooled = store::prepare_spooled("", *message.spooled, date);
      if (!spooled) {
        log::error("session={} event=spool_error error={}", ctx.id, log::kv(spooled.error().message));
        ctx.no(command, "SERVERBUG", "cannot keep the message");
        co_return;
      }
      prepared = std::move(*spooled);
    } else {
      prepared = store::prepare_message(message.data, date);
    }
    auto placed = co_await ctx.env.store.append(mailbox->id, std::move(prepared), flags->bits,
                                                std::move(flags->keywords));
    if (!placed) {
      ctx.store_failed(command, placed.error());
      co_return;
    }
    uids.push_back(placed->uid);
  }
  std::string uid_list;
  if (uids.size() == 1) {
    uid_list = std::to_string(uids[0]);
  } else {
    uid_list = compact_sequence_set(uids);
  }
  ctx.reply(command, Status::ok, "APPENDUID " + std::to_string(mailbox->uidvalidity) + " " + uid_list,
            "APPEND completed");
}

}  // namespace tern::imap
