// The one place that decides whether a command may run in the session's
// state (RFC 9051 3, 6), and hands it to its file.
#include <variant>

#include "imap/commands/commands.hpp"

namespace tern::imap {
namespace {

enum Where : unsigned { any = 0xf, not_auth = 1, authed = 2, selected = 4 };

unsigned where(const CommandBody& body) {
  return std::visit(
      [](const auto& c) -> unsigned {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, command::Capability> || std::is_same_v<T, command::Noop> ||
                      std::is_same_v<T, command::Logout> || std::is_same_v<T, command::Id>)
          return any;
        else if constexpr (std::is_same_v<T, command::StartTls> || std::is_same_v<T, command::Authenticate> ||
                           std::is_same_v<T, command::Login>)
          return not_auth;
        else if constexpr (std::is_same_v<T, command::Check> || std::is_same_v<T, command::Close> ||
                           std::is_same_v<T, command::Unselect> || std::is_same_v<T, command::Expunge> ||
                           std::is_same_v<T, command::Search> || std::is_same_v<T, command::Fetch> ||
                           std::is_same_v<T, command::Store> || std::is_same_v<T, command::Copy> ||
                           std::is_same_v<T, command::Move>)
          return selected;
        else
          return authed | selected;
      },
      body);
}

}  // namespace

bool allowed_in_state(const Command& command, SessionState state) {
  const unsigned w = where(command.body);
  switch (state) {
    case SessionState::not_authenticated: return (w & not_auth) != 0;
    case SessionState::authenticated: return (w & authed) != 0;
    case SessionState::selected: return (w & selected) != 0;
    case SessionState::logout: return false;
  }
  return false;
}

asio::awaitable<void> dispatch(Context& ctx, const Command& command) {
  co_await std::visit([&](const auto& body) { return run(ctx, command, body); }, command.body);
}

}  // namespace tern::imap
