// The server side of SMTP as a sans-I/O state machine: the session feeds the
// bytes it reads and pulls actions (replies to write, TLS to start, a
// recipient to check, credentials to verify, a message to deliver, the
// connection to close); the protocol never touches a socket, the store or a
// clock, and never blocks.
//   RFC 5321 (SMTP; 4.5.3.1 limits, 4.1.4 ordering, 4.5.1 postmaster),
//   RFC 2920 (PIPELINING), RFC 3207 (STARTTLS), RFC 4954 (AUTH PLAIN/LOGIN,
//   SASL-IR), RFC 3030 (CHUNKING/BDAT), RFC 1870 (SIZE), RFC 6152 (8BITMIME),
//   RFC 6531 (SMTPUTF8), RFC 3461 (DSN), RFC 2034 / RFC 3463 (enhanced codes).
//
// Driving it: call start() (or client_spoke_early()), then loop: feed() what
// was read, drain next(); perform each non-Reply action and call its answer
// (recipient_checked, auth_result, delivery_done, tls_established) before
// reading again. While an action awaits its answer, buffered commands wait
// too, so pipelined commands are handled strictly in order.
//
// Choices: command lines may end in CRLF or a bare LF (message text may
// not, see data_reader.hpp); after HELO the ESMTP extensions still work (as
// in Postfix), only the Received: protocol says "SMTP".
//
// Security: command lines are bounded (512 octets, 12288 for AUTH per
// RFC 4954 4) and the excess is discarded, never interpreted; NUL bytes are
// refused; bytes pipelined after STARTTLS are discarded (CVE-2011-0411
// class); AUTH is offered only over TLS unless allow_plaintext_auth; after
// max_errors error replies the connection is closed with 421.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sasl.hpp"
#include "core/line_buffer.hpp"
#include "core/result.hpp"
#include "smtp/protocol/command_table.hpp"
#include "smtp/protocol/data_reader.hpp"
#include "smtp/protocol/parameters.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/types.hpp"

namespace tern::smtp {

namespace detail {
// Outside ServerProtocol so that they are complete types where
// std::optional needs them (default member initializers of nested classes).
struct Transaction {
  MailArguments mail;
  std::vector<Recipient> recipients;
  bool chunking = false;  // a BDAT was accepted: DATA is no longer allowed
  std::optional<DataReader> body;
};

struct Chunk {
  std::uint64_t remaining = 0;
  std::uint64_t size = 0;
  bool last = false;
  std::optional<Refusal> refusal;  // consumed and dropped, then refused
};
}  // namespace detail

class ServerProtocol {
 public:
  static constexpr std::size_t max_command_octets = 512;  // RFC 5321 4.5.3.1.4, CRLF included
  static constexpr std::size_t max_auth_octets = 12288;   // RFC 4954 4

  ServerProtocol(ProtocolConfig config, Connection connection);

  // Queues the "220" greeting; if bytes were fed before this call, the
  // client spoke before the greeting and gets "554 5.7.0" and Close instead.
  void start();
  // The session saw the client talk before the greeting (a greet pause):
  // queues "554 5.7.0" and Close.
  void client_spoke_early();

  void feed(std::string_view bytes);
  std::optional<Action> next();

  // False while an action awaits its answer or after Close: read no more until then.
  bool wants_input() const { return !closed_ && awaiting_ == Awaiting::nothing; }
  bool closed() const { return closed_; }
  // Waiting for a command with no mail transaction, no half-read line and
  // nothing outstanding: a shutdown may close this connection without loss.
  bool idle() const {
    return !closed_ && awaiting_ == Awaiting::nothing && input_ == Input::command && !transaction_ && in_.empty();
  }
  // Part of a command line, a message body or a BDAT chunk has arrived and
  // the rest has not (the session's command deadline runs).
  bool receiving() const {
    return !closed_ && (!in_.empty() || input_ == Input::data || input_ == Input::chunk);
  }
  bool tls_active() const { return tls_.has_value(); }
  bool authenticated() const { return !auth_user_.empty(); }
  const std::string& authenticated_user() const { return auth_user_; }

  // Answers. Calling one that was not asked for is a bug (std::logic_error).
  // RFC 3207 4.2: the state is reset to before EHLO and every byte received
  // before the handshake is discarded.
  void tls_established(TlsInfo info);
  void recipient_checked(RecipientVerdict verdict);
  void sender_checked(SenderVerdict verdict);
  void auth_result(bool ok, std::string account_address);
  void auth_unavailable();  // the credential check could not run: 454 4.7.0
  // ok: the message is durable (value: an id for the "250" text, may be empty).
  void delivery_done(const Result<std::string>& outcome);
  // The message was refused for what it is (the inbound policy: DMARC,
  // SPF): "550 ENHANCED TEXT".
  void delivery_refused(std::string_view enhanced, std::string_view text);

  // The session ends the connection for its own reasons: "421" and Close.
  void timed_out();
  void shutting_down();
  // A newcomer needed this idle connection's slot: "421 4.7.0" and Close.
  void evicted();

 private:
  enum class Awaiting { nothing, tls, sender, recipient, authentication, delivery };
  enum class Input { command, sasl_response, data, chunk };

  using Transaction = detail::Transaction;
  using Chunk = detail::Chunk;

  // server_protocol.cpp: input loop, replies, answers.
  void process();
  bool process_line();
  bool process_data();
  bool process_chunk();
  void compact();
  void reply(unsigned code, std::string_view enhanced, std::string_view text);
  void refuse(unsigned code, std::string_view enhanced, std::string_view text);
  void refuse(const Refusal& refusal) { refuse(refusal.code, refusal.enhanced, refusal.text); }
  void close_with(unsigned code, std::string_view enhanced, std::string_view text);
  void mark_flush();
  bool expect(Awaiting what, const char* answer);
  bool tls_required() const;
  bool auth_required() const;
  bool auth_offered() const;

  // handlers.cpp: dispatch and the commands outside a transaction.
  void handle_command(std::string_view line);
  std::optional<Refusal> check_gates(const CommandSpec& spec) const;
  void handle_ehlo(std::string_view arguments, bool extended);
  void handle_starttls(std::string_view arguments);
  void handle_auth(std::string_view arguments);
  void handle_sasl_line(std::string_view line);
  void follow_sasl(const auth::SaslStep& step);
  void request_authentication(std::string mechanism, std::string username, std::string password);
  void end_sasl(const Refusal& refusal);
  void handle_simple(Verb verb, std::string_view arguments);

  // transaction.cpp: MAIL, RCPT, DATA, BDAT and the end of a message.
  void handle_mail(std::string_view arguments);
  void handle_rcpt(std::string_view arguments);
  void handle_data(std::string_view arguments);
  void handle_bdat(std::string_view arguments, std::optional<Refusal> refusal);
  void finish_chunk();
  void finish_message(DataReader& body);
  Envelope make_envelope() const;

  ProtocolConfig config_;
  Connection connection_;
  std::optional<TlsInfo> tls_;
  std::deque<Action> out_;
  LineBuffer in_;
  bool started_ = false;
  bool spoke_early_ = false;
  bool closed_ = false;
  bool group_end_ = false;  // the command being handled ends a pipelined group
  Awaiting awaiting_ = Awaiting::nothing;
  Input input_ = Input::command;
  unsigned errors_ = 0;
  std::string helo_;
  bool esmtp_ = false;
  std::string auth_user_;
  std::optional<auth::SaslExchange> sasl_;  // while an AUTH exchange runs
  std::string sasl_mechanism_;
  std::string sasl_username_;
  std::optional<Transaction> transaction_;
  std::optional<Recipient> pending_recipient_;
  std::optional<MailArguments> pending_mail_;
  Chunk chunk_;
};

}  // namespace tern::smtp
