// NAMESPACE (RFC 2342, RFC 9051 6.3.10): one personal namespace, "/" as the
// hierarchy separator, no shared or other users' namespaces.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Namespace&) {
  ctx.untagged("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
  ctx.ok(command, "NAMESPACE completed");
  co_return;
}

}  // namespace tern::imap
