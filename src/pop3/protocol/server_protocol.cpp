// The POP3 server state machine: input framing (command lines, SASL lines),
// response queueing, long responses produced a piece at a time, and the
// answers the session gives to the protocol's actions.
// See server_protocol.hpp for the RFCs and the security notes.
#include "pop3/protocol/server_protocol.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>


namespace tern::pop3 {

std::string unique_id(std::uint32_t uidvalidity, std::uint32_t uid) {
  char text[17];
  std::snprintf(text, sizeof text, "%08X%08X", uid, uidvalidity);
  return text;
}

ServerProtocol::ServerProtocol(ProtocolConfig config, std::optional<TlsInfo> tls)
    : config_(std::move(config)), tls_(std::move(tls)) {
  // Port 995 is TLS from the first byte, whatever the session could tell.
  if (config_.mode == Mode::pop3s && !tls_) tls_ = TlsInfo{};
}

void ServerProtocol::start() {
  if (started_) throw std::logic_error("pop3::ServerProtocol::start called twice");
  started_ = true;
  // No APOP timestamp in the greeting: APOP is not offered (RFC 1939 7).
  ok(config_.hostname + " POP3 ready");
  process();
}

void ServerProtocol::feed(std::string_view bytes) {
  if (state_ == State::closed) return;
  // Between "+OK Begin TLS negotiation" and the handshake nothing the client
  // sends in clear may be taken as a command (RFC 2595 4, as RFC 3207 4.2).
  if (awaiting_ == Awaiting::tls) return;
  in_.append(bytes);
  if (started_) process();
}

std::optional<Action> ServerProtocol::next() {
  if (out_.empty() && stream_ && awaiting_ == Awaiting::nothing) produce_piece();
  if (out_.empty()) return std::nullopt;
  Action action = std::move(out_.front());
  out_.pop_front();
  return action;
}

void ServerProtocol::process() {
  while (state_ != State::closed && awaiting_ == Awaiting::nothing && !stream_) {
    if (!process_line()) break;
  }
  compact();
}

bool ServerProtocol::process_line() {
  LineBuffer::Next next = in_.next_command({max_command_octets, max_auth_octets}, input_ == Input::sasl_response);
  if (next.status == LineBuffer::Status::incomplete) return false;
  if (next.status == LineBuffer::Status::too_long) {
    // Too long (RFC 2449 4): the rest of the line is thrown away up to its
    // LF and never read as a command.
    sasl_.reset();
    input_ = Input::command;
    refuse("", "Line too long");
    return true;
  }
  if (input_ == Input::sasl_response) handle_sasl_line(next.line);
  else handle_command(next.line);
  return true;
}

void ServerProtocol::compact() {
  if (state_ == State::closed) in_.clear();
  else in_.compact();
}

void ServerProtocol::reply(std::string text, bool flush) { out_.push_back(action::Reply{std::move(text), flush}); }

void ServerProtocol::refuse(std::string_view code, std::string_view text) {
  if (++errors_ >= config_.max_errors) {
    close_with(format_err("", "Too many bad commands, closing connection"));
    std::get<action::Reply>(out_[out_.size() - 2]).refusal = true;
    return;
  }
  reply(format_err(code, text));
  std::get<action::Reply>(out_.back()).refusal = true;
}

void ServerProtocol::close_with(std::string text) {
  reply(std::move(text), true);
  out_.push_back(action::Close{});
  state_ = State::closed;
  awaiting_ = Awaiting::nothing;
  stream_.reset();
  sasl_.reset();
}

bool ServerProtocol::expect(Awaiting what, const char* answer) {
  if (state_ == State::closed) return false;  // the connection ended while the session worked on it
  if (awaiting_ != what)
    throw std::logic_error(std::string("pop3::ServerProtocol::") + answer + " was not asked for");
  awaiting_ = Awaiting::nothing;
  return true;
}

bool ServerProtocol::login_allowed() const { return tls_.has_value() || config_.allow_plaintext_auth; }

void ServerProtocol::produce_piece() {
  std::string piece;
  bool done = false;
  if (stream_->kind == Stream::Kind::message) {
    StuffedText& text = *stream_->text;
    if (text.wants_more()) {
      // The next piece of a large message (RETR in pieces).
      out_.push_back(action::LoadMessage{loading_->message_id, loading_->uid, text.loaded(),
                                         static_cast<std::size_t>(config_.piece_octets)});
      awaiting_ = Awaiting::message;
      return;
    }
    text.write_some(piece, output_piece);
    done = text.done();
  } else {
    const bool ids = stream_->kind == Stream::Kind::unique_ids;
    const std::size_t count = maildrop_.entries.size();
    while (piece.size() < output_piece && stream_->next < count) {
      if (!deleted_[stream_->next]) piece += listing_line(stream_->next, ids);
      ++stream_->next;
    }
    if (stream_->next == count) {
      piece += ".\r\n";
      done = true;
    }
  }
  reply(std::move(piece), true);
  if (done) {
    stream_.reset();
    process();  // commands pipelined behind the long response
  }
}

void ServerProtocol::tls_established(TlsInfo info) {
  if (!expect(Awaiting::tls, "tls_established")) return;
  // RFC 2595 4: forget what was pipelined in clear; the client asks CAPA again.
  tls_ = std::move(info);
  in_.clear();
  username_.clear();
  sasl_.reset();
  input_ = Input::command;
  process();
}

void ServerProtocol::logged_in(Maildrop maildrop) {
  if (!expect(Awaiting::authentication, "logged_in")) return;
  username_.clear();
  state_ = State::transaction;
  maildrop_ = std::move(maildrop);
  deleted_.assign(maildrop_.entries.size(), false);
  deleted_count_ = 0;
  deleted_size_ = 0;
  total_size_ = 0;
  for (const MaildropEntry& entry : maildrop_.entries) total_size_ += entry.size;
  ok("Logged in, " + maildrop_summary());
  process();
}

void ServerProtocol::login_refused(LoginRefusal reason) {
  if (!expect(Awaiting::authentication, "login_refused")) return;
  username_.clear();  // RFC 1939 7: after a failed PASS, USER comes again
  switch (reason) {
    case LoginRefusal::bad_credentials: refuse("AUTH", "Authentication failed"); break;
    case LoginRefusal::in_use: reply(format_err("IN-USE", "Maildrop is locked by another session")); break;
    case LoginRefusal::unavailable: reply(format_err("SYS/TEMP", "Temporary failure, try again later")); break;
  }
  process();
}

void ServerProtocol::message_loaded(Result<std::string> message) {
  if (!expect(Awaiting::message, "message_loaded")) return;
  if (stream_ && stream_->kind == Stream::Kind::message) {
    // A further piece. The "+OK" has gone out: a failure now can only end
    // the connection, so that the client never takes a cut text for whole.
    if (!message) {
      out_.push_back(action::Close{});
      state_ = State::closed;
      stream_.reset();
      return;
    }
    stream_->text->add(std::move(*message));
    return;
  }
  const std::optional<std::uint64_t> top = loading_->top;
  if (!message) {
    if (message.error().code == Errc::not_found)
      reply(format_err("", "Message was removed by another session"));
    else
      reply(format_err("SYS/TEMP", "Cannot read the message now, try again later"));
    process();
    return;
  }
  std::string text = std::move(*message);
  stream_.emplace();
  stream_->kind = Stream::Kind::message;
  if (loading_->length != 0) {
    // The first piece of a large message. The store keeps CRLF line
    // endings, so its stored size is what the client receives.
    ok(std::to_string(loading_->size) + " octets");
    stream_->text.emplace(std::move(text), StuffedText::InPieces{loading_->size});
    return;
  }
  const std::size_t end = top ? top_end(text, *top) : text.size();
  if (top)
    ok("Top of message follows");
  else
    ok(std::to_string(normalized_size(std::string_view(text).substr(0, end))) + " octets");
  stream_->text.emplace(std::move(text), end);
}

void ServerProtocol::update_done(Result<void> outcome) {
  if (!expect(Awaiting::update, "update_done")) return;
  if (outcome)
    close_with(format_ok(config_.hostname + " POP3 signing off (" + std::to_string(deleted_on_quit_) +
                         " messages deleted)"));
  else
    close_with(format_err("SYS/TEMP", "Some deleted messages not removed"));
}

void ServerProtocol::timed_out() {
  if (state_ == State::closed) return;
  out_.push_back(action::Close{});
  state_ = State::closed;
  awaiting_ = Awaiting::nothing;
  stream_.reset();
}

void ServerProtocol::shutting_down() {
  if (state_ == State::closed) return;
  close_with(format_err("SYS/TEMP", "Server shutting down"));
}

void ServerProtocol::evicted() {
  if (state_ == State::closed) return;
  close_with(format_err("SYS/TEMP", "Too many connections, idle ones are closed; try again later"));
}

}  // namespace tern::pop3
