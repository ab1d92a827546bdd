// The server side of POP3 as a sans-I/O state machine: the session feeds the
// bytes it reads and pulls actions (responses to write, TLS to start,
// credentials to verify, a message to read, deletions to make durable, the
// connection to close); the protocol never touches a socket, the store or a
// clock, and never blocks.
//   RFC 1939 (POP3: states, commands, multi-line responses), RFC 2449 (CAPA,
//   extended response codes, PIPELINING, 255-octet commands), RFC 2595 4
//   (STLS), RFC 3206 (AUTH and SYS response codes), RFC 5034 (AUTH with an
//   initial response).
//
// Driving it: call start(), then loop: feed() what was read, drain next();
// perform each non-Reply action and call its answer (tls_established,
// logged_in / login_refused, message_loaded, update_done) before reading
// again. While an action awaits its answer or a long response is being
// produced, buffered commands wait, so pipelined commands are handled
// strictly in order. Long responses (LIST, UIDL, RETR, TOP) come out of
// next() a piece at a time, each with flush set, so memory stays bounded
// whatever the size of the maildrop.
//
// Semantics: the maildrop is fixed at login (numbers never shift); DELE
// marks, RSET unmarks, and only QUIT in the TRANSACTION state asks for the
// marked messages to be expunged; the "+OK" to QUIT comes only after
// update_done() reports success (DESIGN.md rule 1). A dropped connection,
// a timeout or a shutdown removes nothing (RFC 1939 6).
//
// Security: command lines are bounded (255 octets plus CRLF, RFC 2449 4;
// AUTH lines and SASL responses max_auth_octets) and the excess is
// discarded, never interpreted; NUL bytes are refused; bytes pipelined after
// STLS are discarded; USER, PASS and AUTH are refused without TLS unless
// allow_plaintext_auth; after max_errors bad commands the connection closes.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sasl.hpp"
#include "core/line_buffer.hpp"
#include "core/result.hpp"
#include "pop3/protocol/command_table.hpp"
#include "pop3/protocol/message_text.hpp"
#include "pop3/protocol/reply.hpp"
#include "pop3/protocol/types.hpp"

namespace tern::pop3 {

// The UIDL value of a message (RFC 1939 7): UID and UIDVALIDITY as eight
// upper-case hex digits each (Dovecot's default "%08Xu%08Xv"), so it is
// stable across sessions and never names another message.
std::string unique_id(std::uint32_t uidvalidity, std::uint32_t uid);

namespace detail {
// A long response produced a piece at a time. Outside ServerProtocol so that
// it is a complete type where std::optional needs it.
struct Stream {
  enum class Kind { sizes, unique_ids, message } kind = Kind::sizes;
  std::size_t next = 0;  // index of the next entry (listings)
  std::optional<StuffedText> text;
};

// The RETR or TOP being loaded, and for a message sent in pieces, where the
// next piece comes from.
struct Loading {
  std::int64_t message_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t size = 0;
  std::size_t length = 0;              // the first piece's length; 0: whole
  std::optional<std::uint64_t> top;    // TOP: cut after this many body lines
};
}  // namespace detail

class ServerProtocol {
 public:
  static constexpr std::size_t max_command_octets = 255 + 2;  // RFC 2449 4, plus CRLF
  static constexpr std::size_t max_auth_octets = 2048;        // a base64 SASL response of 1024 octets
  static constexpr std::size_t output_piece = 32 * 1024;      // octets per piece of a long response

  enum class State { authorization, transaction, update, closed };

  explicit ServerProtocol(ProtocolConfig config, std::optional<TlsInfo> tls = std::nullopt);

  // Queues the "+OK" greeting.
  void start();

  void feed(std::string_view bytes);
  std::optional<Action> next();

  bool closed() const { return state_ == State::closed; }
  State state() const { return state_; }
  // Waiting for a command with nothing half-read or outstanding: a shutdown
  // may close this connection without loss (nothing is deleted).
  bool idle() const {
    return state_ != State::closed && state_ != State::update && awaiting_ == Awaiting::nothing && !stream_ &&
           out_.empty() && input_ == Input::command && in_.empty();
  }
  // Part of a command line has arrived and the rest has not.
  bool receiving() const { return state_ != State::closed && !in_.empty(); }
  bool authenticated() const { return state_ == State::transaction || state_ == State::update; }
  bool tls_active() const { return tls_.has_value(); }

  // Answers. Calling one that was not asked for is a bug (std::logic_error).
  // RFC 2595 4: the AUTHORIZATION state starts afresh and every byte received
  // before the handshake is discarded.
  void tls_established(TlsInfo info);
  void logged_in(Maildrop maildrop);
  void login_refused(LoginRefusal reason);
  void message_loaded(Result<std::string> message);
  void update_done(Result<void> outcome);

  // The session ends the connection for its own reasons. RFC 1939 3: the
  // autologout timer closes without a response and without the UPDATE state.
  void timed_out();
  void shutting_down();
  // A newcomer needed this idle connection's slot: "-ERR [SYS/TEMP]" and Close.
  void evicted();

 private:
  enum class Awaiting { nothing, tls, authentication, message, update };
  enum class Input { command, sasl_response };
  using Stream = detail::Stream;

  // server_protocol.cpp: input framing, output, answers.
  void process();
  bool process_line();
  void compact();
  void reply(std::string text, bool flush = false);
  void ok(std::string_view text) { reply(format_ok(text)); }
  void refuse(std::string_view code, std::string_view text);
  void close_with(std::string text);
  bool expect(Awaiting what, const char* answer);
  bool login_allowed() const;
  void produce_piece();

  // handlers.cpp: dispatch and commands.
  void handle_command(std::string_view line);
  void handle_user(std::string_view arguments);
  void handle_pass(std::string_view arguments);
  void handle_auth(std::string_view arguments);
  void handle_sasl_line(std::string_view line);
  void handle_sasl_step(auth::SaslStep step);
  void handle_stls(std::string_view arguments);
  void handle_capa(std::string_view arguments);
  void handle_quit(std::string_view arguments);
  void handle_stat(std::string_view arguments);
  void handle_list(std::string_view arguments, bool unique_ids);
  void handle_retr(std::string_view arguments);
  void handle_top(std::string_view arguments);
  void handle_dele(std::string_view arguments);
  void handle_noop(std::string_view arguments);
  void handle_rset(std::string_view arguments);
  // The entry for a message-number argument, or a refusal already sent.
  const MaildropEntry* message_argument(std::string_view argument);
  std::string maildrop_summary() const;
  std::string listing_line(std::size_t index, bool unique_id) const;

  ProtocolConfig config_;
  std::optional<TlsInfo> tls_;
  std::deque<Action> out_;
  LineBuffer in_;
  bool started_ = false;
  State state_ = State::authorization;
  Awaiting awaiting_ = Awaiting::nothing;
  Input input_ = Input::command;
  unsigned errors_ = 0;
  std::string username_;  // from USER, for PASS
  std::optional<auth::SaslExchange> sasl_;
  std::optional<Stream> stream_;
  // TRANSACTION state: the maildrop and its deletion marks.
  Maildrop maildrop_;
  std::vector<bool> deleted_;
  std::size_t deleted_count_ = 0;
  std::uint64_t total_size_ = 0;
  std::uint64_t deleted_size_ = 0;
  // The message being loaded or sent: whole (RETR), in pieces (a large
  // RETR) or cut after some body lines (TOP).
  std::optional<detail::Loading> loading_;
  std::size_t deleted_on_quit_ = 0;
};

}  // namespace tern::pop3
