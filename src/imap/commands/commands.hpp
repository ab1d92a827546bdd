// The IMAP commands, one `run` overload per command (one file each in this
// folder). Each runs only after session.cpp checked the session state
// (dispatch.cpp); each writes its untagged and tagged responses to
// Context::out.
#pragma once

#include <asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "imap/commands/context.hpp"
#include "imap/protocol/command_table.hpp"

namespace tern::imap {

// The CAPABILITY list for the session's state and transport (RFC 9051 7.2.2).
std::string capabilities(const Context& ctx);

// Whether a password may be sent now (DESIGN.md rule 3: only over TLS, or
// from loopback when [auth] allow_plaintext_loopback is set).
bool plaintext_login_allowed(const Context& ctx);

// Checks credentials (throttle, authenticator) and enters the authenticated state.
asio::awaitable<void> complete_login(Context& ctx, const Command& command, std::string username,
                                     std::string password, std::string_view mechanism);

// The session hands AUTHENTICATE's continuation lines here.
asio::awaitable<void> continue_authenticate(Context& ctx, std::string_view line);

// SELECT ... (QRESYNC ...) and UID FETCH ... (VANISHED): VANISHED (EARLIER)
// for what was expunged and FETCH for what changed (RFC 7162 3.2.5.1).
std::string resync_responses(const MailboxView& view, const store::MailboxChanges& changes,
                             const std::optional<SequenceSet>& known_uids);

// SUBSCRIBE and UNSUBSCRIBE.
asio::awaitable<void> set_subscription(Context& ctx, const Command& command, const std::string& raw, bool on);

// Where the command may run (RFC 9051 3, the command table): false answers BAD.
bool allowed_in_state(const Command& command, SessionState state);
bool allowed_in_state(const CommandSpec& spec, SessionState state);

// Runs a parsed command whose state was checked.
asio::awaitable<void> dispatch(Context& ctx, const Command& command);

asio::awaitable<void> run(Context&, const Command&, const command::Capability&);
asio::awaitable<void> run(Context&, const Command&, const command::Noop&);
asio::awaitable<void> run(Context&, const Command&, const command::Logout&);
asio::awaitable<void> run(Context&, const Command&, const command::StartTls&);
asio::awaitable<void> run(Context&, const Command&, const command::Authenticate&);
asio::awaitable<void> run(Context&, const Command&, const command::Login&);
asio::awaitable<void> run(Context&, const Command&, const command::Enable&);
asio::awaitable<void> run(Context&, const Command&, const command::Select&);
asio::awaitable<void> run(Context&, const Command&, const command::Create&);
asio::awaitable<void> run(Context&, const Command&, const command::Delete&);
asio::awaitable<void> run(Context&, const Command&, const command::Rename&);
asio::awaitable<void> run(Context&, const Command&, const command::Subscribe&);
asio::awaitable<void> run(Context&, const Command&, const command::Unsubscribe&);
asio::awaitable<void> run(Context&, const Command&, const command::List&);
asio::awaitable<void> run(Context&, const Command&, const command::Lsub&);
asio::awaitable<void> run(Context&, const Command&, const command::Namespace&);
asio::awaitable<void> run(Context&, const Command&, const command::Status&);
asio::awaitable<void> run(Context&, const Command&, const command::Append&);
asio::awaitable<void> run(Context&, const Command&, const command::Idle&);
asio::awaitable<void> run(Context&, const Command&, const command::Check&);
asio::awaitable<void> run(Context&, const Command&, const command::Close&);
asio::awaitable<void> run(Context&, const Command&, const command::Unselect&);
asio::awaitable<void> run(Context&, const Command&, const command::Expunge&);
asio::awaitable<void> run(Context&, const Command&, const command::Search&);
asio::awaitable<void> run(Context&, const Command&, const command::Fetch&);
asio::awaitable<void> run(Context&, const Command&, const command::Store&);
asio::awaitable<void> run(Context&, const Command&, const command::Copy&);
asio::awaitable<void> run(Context&, const Command&, const command::Move&);
asio::awaitable<void> run(Context&, const Command&, const command::Id&);

}  // namespace tern::imap
