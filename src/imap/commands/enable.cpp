// ENABLE (RFC 5161, RFC 9051 6.3.1): IMAP4rev2, UTF8=ACCEPT (RFC 6855),
// CONDSTORE and QRESYNC (RFC 7162; QRESYNC implies CONDSTORE). Unknown
// capabilities are ignored, as the RFC asks.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Enable& enable) {
  std::string enabled;
  for (const std::string& capability : enable.capabilities) {
    bool* flag = nullptr;
    if (capability == "IMAP4REV2") flag = &ctx.rev2;
    else if (capability == "UTF8=ACCEPT") flag = &ctx.utf8;
    else if (capability == "CONDSTORE") flag = &ctx.condstore;
    else if (capability == "QRESYNC") {
      ctx.condstore = true;
      flag = &ctx.qresync;
    }
    if (!flag || *flag) continue;  // RFC 5161 3.1: only what this command newly enabled
    *flag = true;
    enabled += ' ';
    enabled += capability == "IMAP4REV2" ? "IMAP4rev2" : capability;
  }
  ctx.untagged("* ENABLED" + enabled + "\r\n");
  ctx.ok(command, "ENABLE completed");
  co_return;
}

}  // namespace tern::imap
