// IDLE (RFC 2177, RFC 9051 6.3.13): "+ idling", then the selected mailbox's
// changes as they happen, until DONE. Nothing is read while waiting, so an
// idling session holds no read buffer; the autologout timer is the one for
// logged-in sessions (30 minutes, RFC 9051 5.4).
#include "core/log.hpp"
#include "imap/commands/commands.hpp"
#include "imap/protocol/reader.hpp"
#include "imap/session.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Idle&) {
  ctx.out += continuation("idling");
  if (!ctx.channel) co_return;  // no connection to wait on (tests)
  const auto timeout = idle_timeout(ctx.env.config.limits);
  bool changed = true;  // catch up once before the first wait
  for (;;) {
    if (ctx.view && changed) {
      const bool alive = co_await ctx.sync(true);
      if (!alive) {
        ctx.bye("the selected mailbox was deleted");
        co_return;
      }
    }
    const bool written = co_await ctx.channel->write_out();
    if (!written) {
      ctx.state = SessionState::logout;
      co_return;
    }
    if (ctx.env.stopping) {
      ctx.bye("server shutting down");
      co_return;
    }
    // A change that came while syncing or writing found no wait to end.
    changed = ctx.channel->take_change();
    if (ctx.view && changed) continue;
    std::string line;
    switch (co_await ctx.channel->wait(timeout, line)) {
      case Channel::Wake::change:
        changed = true;
        continue;
      case Channel::Wake::partial:
      case Channel::Wake::stopping: continue;
      case Channel::Wake::timeout:
        log::info("session={} event=timeout state=idle", ctx.id);
        ctx.bye("autologout; idle for too long");
        co_return;
      case Channel::Wake::gone: ctx.state = SessionState::logout; co_return;
      case Channel::Wake::line:
        if (is_idle_done(line)) {
          ctx.ok(command, "IDLE terminated");
        } else {
          ctx.bad(command, "expected DONE");
          ctx.channel->count_error();
        }
        co_return;  // anything after DONE is read as the next command
      case Channel::Wake::refused:
        ctx.bad(command, "expected DONE");
        ctx.channel->count_error();
        co_return;
    }
  }
}

}  // namespace tern::imap
