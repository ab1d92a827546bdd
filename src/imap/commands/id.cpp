// ID (RFC 2971): the client's identification is logged; tern names itself.
#include "core/log.hpp"
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Id& id) {
  if (id.parameters) {
    std::string client;
    for (const auto& [key, value] : *id.parameters) {
      if (!value) continue;
      if (!client.empty()) client += ' ';
      client += key + "=" + *value;
    }
    log::info("session={} event=client_id id={}", ctx.id, log::kv(client.substr(0, 256)));
  }
  ctx.untagged("* ID (\"name\" \"tern\" \"vendor\" \"tern\")\r\n");
  ctx.ok(command, "ID completed");
  co_return;
}

}  // namespace tern::imap
