// The SMTP server state machine: input framing (command lines, SASL lines,
// message text, BDAT chunks), reply queueing with RFC 2920 flush points, and
// the answers the session gives to the protocol's actions.
// See server_protocol.hpp for the RFCs and the security notes.
#include "smtp/protocol/server_protocol.hpp"

#include <algorithm>
#include <stdexcept>


namespace tern::smtp {

ServerProtocol::ServerProtocol(ProtocolConfig config, Connection connection)
    : config_(std::move(config)), connection_(std::move(connection)), tls_(connection_.tls) {
  if (config_.postmaster_domain.empty()) config_.postmaster_domain = config_.hostname;
  // Port 465 is TLS from the first byte, whatever the session could tell.
  if (config_.mode == Mode::submissions && !tls_) tls_ = TlsInfo{};
}

void ServerProtocol::start() {
  if (started_) throw std::logic_error("ServerProtocol::start called twice");
  started_ = true;
  if (spoke_early_) {
    client_spoke_early();
    return;
  }
  group_end_ = true;
  reply(220, "", config_.hostname + " ESMTP ready");
}

void ServerProtocol::client_spoke_early() {
  started_ = true;
  if (closed_) return;
  close_with(554, "5.7.0", "Protocol error: the client spoke before the greeting");
}

void ServerProtocol::feed(std::string_view bytes) {
  if (closed_) return;
  if (!started_) {
    spoke_early_ = true;
    return;
  }
  // Between "220 Ready to start TLS" and the handshake nothing the client
  // sends in clear may be taken as a command (RFC 3207 4.2).
  if (awaiting_ == Awaiting::tls) return;
  in_.append(bytes);
  process();
}

std::optional<Action> ServerProtocol::next() {
  if (out_.empty()) return std::nullopt;
  Action action = std::move(out_.front());
  out_.pop_front();
  return action;
}

void ServerProtocol::process() {
  while (!closed_ && awaiting_ == Awaiting::nothing) {
    bool progressed = false;
    switch (input_) {
      case Input::command:
      case Input::sasl_response: progressed = process_line(); break;
      case Input::data: progressed = process_data(); break;
      case Input::chunk: progressed = process_chunk(); break;
    }
    if (!progressed) {
      // The input is exhausted: the client now waits for every reply (RFC 2920 3.2).
      mark_flush();
      break;
    }
  }
  compact();
}

bool ServerProtocol::process_line() {
  LineBuffer::Next next = in_.next_command({max_command_octets, max_auth_octets}, input_ == Input::sasl_response);
  if (next.status == LineBuffer::Status::incomplete) return false;
  if (next.status == LineBuffer::Status::too_long) {
    // RFC 5321 4.5.3.1.4: too long. The rest of the line is thrown away up to
    // its LF and never read as a command.
    group_end_ = false;
    if (input_ == Input::sasl_response) sasl_username_.clear();
    input_ = Input::command;
    refuse(500, "5.5.2", "Line too long");
    return true;
  }
  if (input_ == Input::sasl_response) handle_sasl_line(next.line);
  else handle_command(next.line);
  return true;
}

bool ServerProtocol::process_data() {
  DataReader& body = *transaction_->body;
  std::string_view available = in_.pending();
  if (available.empty()) return false;
  in_.consume(body.consume(available));
  if (!body.complete()) return false;
  input_ = Input::command;
  finish_message(body);
  return true;
}

bool ServerProtocol::process_chunk() {
  std::string_view available = in_.pending();
  const std::uint64_t take = std::min<std::uint64_t>(chunk_.remaining, available.size());
  if (take == 0 && chunk_.remaining > 0) return false;
  const auto octets = static_cast<std::size_t>(take);
  // RFC 3030 2: the octets of a refused chunk are read and dropped all the same.
  if (!chunk_.refusal) transaction_->body->consume(available.substr(0, octets));
  in_.consume(octets);
  chunk_.remaining -= take;
  if (chunk_.remaining > 0) return false;
  input_ = Input::command;
  finish_chunk();
  return true;
}

void ServerProtocol::compact() {
  if (closed_) in_.clear();
  else in_.compact();
}

void ServerProtocol::reply(unsigned code, std::string_view enhanced, std::string_view text) {
  out_.push_back(action::Reply{format_reply(code, enhanced, text), group_end_});
}

void ServerProtocol::refuse(unsigned code, std::string_view enhanced, std::string_view text) {
  reply(code, enhanced, text);
  std::get<action::Reply>(out_.back()).refusal = true;
  if (++errors_ >= config_.max_errors)
    close_with(421, "4.7.0", config_.hostname + " Too many errors, closing connection");
}

void ServerProtocol::close_with(unsigned code, std::string_view enhanced, std::string_view text) {
  group_end_ = true;
  reply(code, enhanced, text);
  out_.push_back(action::Close{});
  closed_ = true;
  awaiting_ = Awaiting::nothing;
}

void ServerProtocol::mark_flush() {
  if (out_.empty()) return;
  if (auto* last = std::get_if<action::Reply>(&out_.back())) last->flush = true;
}

bool ServerProtocol::expect(Awaiting what, const char* answer) {
  if (closed_) return false;  // the connection ended while the session worked on it
  if (awaiting_ != what) throw std::logic_error(std::string("ServerProtocol::") + answer + " was not asked for");
  awaiting_ = Awaiting::nothing;
  group_end_ = false;
  return true;
}

bool ServerProtocol::tls_required() const {
  return config_.mode == Mode::submission && !tls_ && !config_.allow_plaintext_auth;
}

bool ServerProtocol::auth_required() const { return config_.mode != Mode::smtp; }

bool ServerProtocol::auth_offered() const {
  return config_.mode != Mode::smtp && (tls_ || config_.allow_plaintext_auth);
}

void ServerProtocol::tls_established(TlsInfo info) {
  if (!expect(Awaiting::tls, "tls_established")) return;
  // RFC 3207 4.2: forget everything learnt in clear, including what the client
  // pipelined behind STARTTLS (never interpret it).
  tls_ = std::move(info);
  in_.clear();
  helo_.clear();
  esmtp_ = false;
  auth_user_.clear();
  transaction_.reset();
  input_ = Input::command;
  process();
}

void ServerProtocol::sender_checked(SenderVerdict verdict) {
  if (!expect(Awaiting::sender, "sender_checked")) return;
  MailArguments mail = std::move(*pending_mail_);
  pending_mail_.reset();
  switch (verdict) {
    case SenderVerdict::accept:
      transaction_.emplace();
      transaction_->mail = std::move(mail);
      reply(250, "2.1.0", "Sender ok");
      break;
    case SenderVerdict::not_owned:
      refuse(553, "5.7.1", "Sender address not owned by the authenticated user");
      break;
    case SenderVerdict::temporary_failure:
      reply(451, "4.3.0", "Temporary lookup failure, try again later");
      break;
  }
  process();
}

void ServerProtocol::recipient_checked(RecipientVerdict verdict) {
  if (!expect(Awaiting::recipient, "recipient_checked")) return;
  Recipient recipient = std::move(*pending_recipient_);
  pending_recipient_.reset();
  switch (verdict) {
    case RecipientVerdict::accept:
      transaction_->recipients.push_back(std::move(recipient));
      reply(250, "2.1.5", "Recipient ok");
      break;
    case RecipientVerdict::unknown_user: refuse(550, "5.1.1", "Mailbox unavailable: no such user here"); break;
    case RecipientVerdict::relay_denied: refuse(554, "5.7.1", "Relay access denied"); break;
    case RecipientVerdict::not_allowed: refuse(550, "5.7.1", "Recipient address not allowed"); break;
    case RecipientVerdict::temporary_failure:
      reply(451, "4.3.0", "Temporary lookup failure, try again later");
      break;
  }
  process();
}

void ServerProtocol::auth_result(bool ok, std::string account_address) {
  if (!expect(Awaiting::authentication, "auth_result")) return;
  if (ok) {
    auth_user_ = account_address.empty() ? sasl_username_ : std::move(account_address);
    reply(235, "2.7.0", "Authentication successful");
  } else {
    refuse(535, "5.7.8", "Authentication credentials invalid");
  }
  sasl_username_.clear();
  process();
}

void ServerProtocol::auth_unavailable() {
  if (!expect(Awaiting::authentication, "auth_unavailable")) return;
  sasl_username_.clear();
  reply(454, "4.7.0", "Temporary authentication failure, try again later");
  process();
}

void ServerProtocol::delivery_done(const Result<std::string>& outcome) {
  if (!expect(Awaiting::delivery, "delivery_done")) return;
  if (outcome) {
    reply(250, "2.0.0", outcome->empty() ? "Ok: message accepted" : "Ok: queued as " + *outcome);
  } else {
    switch (outcome.error().code) {
      case Errc::invalid:
        reply(554, "5.6.0", "Message refused: " + printable(outcome.error().message));
        break;
      case Errc::denied:
        reply(553, "5.7.1", printable(outcome.error().message));
        break;
      case Errc::not_found:
      case Errc::already_exists:
      case Errc::conflict:
        reply(554, "5.0.0", "Transaction failed");
        break;
      case Errc::unavailable:
      case Errc::io:
      case Errc::internal:
        reply(451, "4.3.0", "Local error in processing, try again later");
        break;
    }
  }
  process();
}

void ServerProtocol::delivery_refused(std::string_view enhanced, std::string_view text) {
  if (!expect(Awaiting::delivery, "delivery_refused")) return;
  reply(550, std::string(enhanced), printable(std::string(text)));
  process();
}

void ServerProtocol::timed_out() {
  if (closed_) return;
  close_with(421, "4.4.2", config_.hostname + " Timeout exceeded, closing connection");
}

void ServerProtocol::shutting_down() {
  if (closed_) return;
  close_with(421, "4.3.2", config_.hostname + " Service shutting down, closing connection");
}

void ServerProtocol::evicted() {
  if (closed_) return;
  close_with(421, "4.7.0", config_.hostname + " Too many connections, idle ones are closed; try again later");
}

}  // namespace tern::smtp
