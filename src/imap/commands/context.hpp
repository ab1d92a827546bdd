// What an IMAP command sees of its session: the services, the state, the
// selected mailbox and the responses it writes. One file per command in this
// folder defines its `run` overload; session.cpp checks state and arguments
// before any of them runs (dispatch.cpp).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sasl.hpp"
#include "imap/commands/mailbox_names.hpp"
#include "imap/mailbox_view.hpp"
#include "imap/protocol/command.hpp"
#include "imap/protocol/mailbox_name.hpp"
#include "imap/protocol/response.hpp"
#include "session/env.hpp"
#include "store/store.hpp"

namespace tern::imap {

using session::SessionEnv;

// What a command may know of the connection.
struct Peer {
  std::string address;
  bool loopback = false;
  bool secure = false;  // TLS is active
};

enum class SessionState : std::uint8_t { not_authenticated, authenticated, selected, logout };

// What a command may ask of its connection beyond queuing responses; the
// session implements it.
class Channel {
 public:
  virtual ~Channel() = default;
  // Writes Context::out now; false when the connection failed.
  virtual asio::awaitable<bool> write_out() = 0;
  // Writes the queued OK and runs the TLS handshake; false when the session
  // must end (bytes waited behind the command: a BYE is queued instead of
  // the OK; or the handshake failed).
  virtual asio::awaitable<bool> start_tls() = 0;

  // IDLE: what ended a wait.
  enum class Wake : std::uint8_t {
    line,      // the client sent a line: `line` holds it
    refused,   // the client sent something that is not a line (a literal)
    partial,   // bytes came, no whole line yet
    change,    // the selected mailbox changed
    timeout,   // nothing for `timeout`
    stopping,  // the server is stopping
    gone,      // the connection ended
  };
  // Waits (holding no read buffer) for the client, a change to the selected
  // mailbox, the timeout or a stop.
  virtual asio::awaitable<Wake> wait(std::chrono::seconds timeout, std::string& line) = 0;
  // Whether the selected mailbox changed since the last call.
  virtual bool take_change() = 0;
  // Counts a BAD answer; false when there were too many (a BYE is queued).
  virtual bool count_error() = 0;
};

class Context {
 public:
  Context(SessionEnv session_env, Peer session_peer, std::uint64_t session_id)
      : env(session_env), peer(std::move(session_peer)), id(session_id) {}

  SessionEnv env;
  Peer peer;
  std::uint64_t id;
  // The connection, for the commands that need more than responses (FETCH
  // writes as it goes, STARTTLS, IDLE). Unset in tests: responses stay in `out`.
  Channel* channel = nullptr;

  SessionState state = SessionState::not_authenticated;
  std::optional<store::Account> account;
  std::optional<MailboxView> view;  // set in the selected state

  // ENABLE (RFC 5161) and the extensions that enable themselves.
  bool utf8 = false;       // UTF8=ACCEPT (RFC 6855)
  bool condstore = false;  // RFC 7162 3.1
  bool qresync = false;    // RFC 7162 3.2
  bool rev2 = false;       // IMAP4rev2 (RFC 9051 2.1)

  // An AUTHENTICATE exchange waiting for the client's next line.
  std::optional<auth::SaslExchange> sasl;
  std::optional<Command> sasl_command;

  // Responses held until the session writes them.
  std::string out;

  void untagged(std::string_view line) { out += line; }
  void reply(const Command& command, Status status, std::string_view code, std::string_view text) {
    out += status_response(command.tag, status, code, text);
  }
  void ok(const Command& command, std::string_view text) { reply(command, Status::ok, {}, text); }
  void no(const Command& command, std::string_view code, std::string_view text) {
    reply(command, Status::no, code, text);
  }
  void bad(const Command& command, std::string_view text) { reply(command, Status::bad, {}, text); }
  // Ends the session with "* BYE text".
  void bye(std::string_view text) {
    out += "* BYE ";
    out += text;
    out += "\r\n";
    state = SessionState::logout;
  }

  ViewOptions view_options(bool allow_expunge) const {
    return ViewOptions{qresync, condstore, allow_expunge, !rev2};
  }

  // A mailbox name from the client, in UTF-8 (nullopt: answer BAD).
  std::optional<std::string> mailbox_in(std::string_view raw) const { return decode_mailbox_name(raw, utf8); }
  std::string mailbox_out(std::string_view name) const { return format_astring(encode_mailbox_name(name, utf8), utf8); }

  // Finds one of the account's mailboxes by its UTF-8 name.
  // A name that could never name a mailbox (imap/commands/mailbox_names.hpp)
  // is not looked for: it is not found.
  asio::awaitable<Result<std::optional<store::Mailbox>>> find_mailbox(std::string name) {
    if (!valid_mailbox_name(name)) co_return std::optional<store::Mailbox>{};
    co_return co_await env.store.find_mailbox(account->id, std::move(name));
  }

  // The mailbox a command names, which must exist: nullopt when the command
  // has been answered (a store failure, or NO [`missing`] "no such
  // mailbox": NONEXISTENT for SELECT and STATUS, TRYCREATE for APPEND, COPY
  // and MOVE, RFC 9051 7.1).
  asio::awaitable<std::optional<store::Mailbox>> existing_mailbox(const Command& command, std::string name,
                                                                 std::string_view missing);

  // Whether the account may hold the mailboxes that creating `name` (and
  // its missing parents) adds, plus `extra` (RENAME: -1, the old name goes):
  // limits.max_mailboxes. Answers NO [LIMIT] (RFC 5530) itself when not; a
  // store failure is answered too.
  asio::awaitable<bool> room_for_mailbox(const Command& command, const std::string& name, long extra = 0);

  // Catches the selected mailbox up with the store and queues the untagged
  // responses (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS). False when the
  // mailbox is gone (the session then ends with BYE).
  asio::awaitable<bool> sync(bool allow_expunge);

  // Answers a store failure: "NO [SERVERBUG]" or "[UNAVAILABLE]" and a log line.
  void store_failed(const Command& command, const Error& error);
};

// The "a1 OK [READ-WRITE] ..." mailbox-not-found answer (RFC 9051 7.1: [NONEXISTENT]).
inline constexpr std::string_view no_such_mailbox = "no such mailbox";

}  // namespace tern::imap
