// The one place that decides whether a command may run in the session's
// state (RFC 9051 3, 6), and hands it to its file.
#include <variant>

#include "imap/protocol/command_table.hpp"
#include "imap/commands/commands.hpp"

namespace tern::imap {

std::uint8_t state_bit(SessionState state) {
  switch (state) {
    case SessionState::not_authenticated: return in_not_authenticated;
    case SessionState::authenticated: return in_authenticated;
    case SessionState::selected: return in_selected;
    case SessionState::logout: return 0;
  }
  return 0;
}

bool allowed_in_state(const CommandSpec& spec, SessionState state) { return (spec.states & state_bit(state)) != 0; }

bool allowed_in_state(const Command& command, SessionState state) {
  return command.spec != nullptr && allowed_in_state(*command.spec, state);
}

asio::awaitable<void> dispatch(Context& ctx, const Command& command) {
  co_await std::visit([&](const auto& body) { return run(ctx, command, body); }, command.body);
}

}  // namespace tern::imap
