// The dispatch point of the POP3 server protocol and its commands.
//   RFC 1939 4-7 (USER, PASS, QUIT, STAT, LIST, RETR, DELE, NOOP, RSET, TOP,
//   UIDL), RFC 2449 5 (CAPA), RFC 2595 4 (STLS), RFC 5034 4 (AUTH PLAIN with
//   an initial response, "*" cancels, "=" is an empty initial response).
// Security: every command passes the state and TLS checks in
// handle_command() before any handler runs; user names and passwords are
// never echoed.
#include <charconv>
#include <limits>

#include "core/text.hpp"
#include "pop3/protocol/server_protocol.hpp"

namespace tern::pop3 {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// A decimal argument; values too large for 64 bits saturate.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (!all_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<std::uint64_t>::max();
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}


}  // namespace

void ServerProtocol::handle_command(std::string_view line) {
  if (line.find('\0') != std::string_view::npos) return refuse("", "NUL characters are not allowed");
  CommandLine command = split_command(line);
  const CommandSpec* spec = find_command(command.keyword);
  if (!spec) return refuse("", command.keyword.empty() ? "Empty command" : "Unknown command");
  // RFC 1939 7: a password may contain spaces, so PASS keeps its argument whole.
  if (spec->verb != Verb::pass)
    command.arguments = text::trim_right(command.arguments, text::wsp);
  if (state_ == State::authorization && !(spec->flags & command_flag::authorization))
    return refuse("", "Not valid before login");
  if (state_ == State::transaction && !(spec->flags & command_flag::transaction))
    return refuse("", "Not valid after login");
  if ((spec->flags & command_flag::credentials) && !login_allowed())
    return refuse("AUTH", "Plaintext authentication disallowed on non-secure connections, use STLS");
  switch (spec->verb) {
    case Verb::user: return handle_user(command.arguments);
    case Verb::pass: return handle_pass(command.arguments);
    case Verb::auth: return handle_auth(command.arguments);
    case Verb::stls: return handle_stls(command.arguments);
    case Verb::capa: return handle_capa(command.arguments);
    case Verb::quit: return handle_quit(command.arguments);
    case Verb::stat: return handle_stat(command.arguments);
    case Verb::list: return handle_list(command.arguments, false);
    case Verb::uidl: return handle_list(command.arguments, true);
    case Verb::retr: return handle_retr(command.arguments);
    case Verb::top: return handle_top(command.arguments);
    case Verb::dele: return handle_dele(command.arguments);
    case Verb::noop: return handle_noop(command.arguments);
    case Verb::rset: return handle_rset(command.arguments);
  }
}

void ServerProtocol::handle_user(std::string_view arguments) {
  if (arguments.empty()) return refuse("", "Syntax: USER name");
  // The same answer whether or not the user exists (RFC 1939 7 allows either).
  username_ = std::string(arguments);
  ok("Send PASS");
}

void ServerProtocol::handle_pass(std::string_view arguments) {
  if (username_.empty()) return refuse("", "Send USER first");
  if (arguments.empty()) return refuse("", "Syntax: PASS password");
  out_.push_back(action::Authenticate{"USER", std::move(username_), std::string(arguments)});
  username_.clear();
  awaiting_ = Awaiting::authentication;
}

void ServerProtocol::handle_auth(std::string_view arguments) {
  username_.clear();
  if (arguments.empty()) {
    // The mechanism list of RFC 1734, which older clients (fetchmail) ask for.
    reply("+OK Supported mechanisms follow\r\nPLAIN\r\n.\r\n");
    return;
  }
  const std::size_t space = arguments.find(' ');
  const std::string_view mechanism = arguments.substr(0, space);
  std::optional<std::string_view> initial;
  if (space != std::string_view::npos) {
    initial = arguments.substr(space + 1);
    if (initial->empty() || initial->find(' ') != std::string_view::npos)
      return refuse("", "Syntax: AUTH mechanism [initial-response]");
  }
  if (!text::iequals(mechanism, "PLAIN")) return refuse("", "Unsupported authentication mechanism");
  auto exchange = auth::SaslExchange::start(mechanism, initial);
  if (!exchange) return refuse("", "Unsupported authentication mechanism");
  sasl_.emplace(std::move(*exchange));
  handle_sasl_step(sasl_->first_step());
}

void ServerProtocol::handle_sasl_line(std::string_view line) { handle_sasl_step(sasl_->step(line)); }

void ServerProtocol::handle_sasl_step(auth::SaslStep step) {
  if (auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
    input_ = Input::sasl_response;
    reply("+ " + challenge->base64 + "\r\n", true);
    return;
  }
  input_ = Input::command;
  sasl_.reset();
  if (auto* credentials = std::get_if<auth::Credentials>(&step)) {
    out_.push_back(action::Authenticate{"PLAIN", std::move(credentials->authcid), std::move(credentials->password)});
    awaiting_ = Awaiting::authentication;
    return;
  }
  const auto& failed = std::get<auth::SaslFailed>(step);
  switch (failed.reason) {
    case auth::SaslFailure::cancelled: reply(format_err("", "Authentication cancelled")); break;
    case auth::SaslFailure::malformed: refuse("", "Malformed SASL response"); break;
    case auth::SaslFailure::not_permitted: refuse("AUTH", "Authorization identity not permitted"); break;
  }
}

void ServerProtocol::handle_stls(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: STLS");
  if (tls_) return refuse("", "TLS is already active");
  if (!config_.tls_available) return refuse("SYS/TEMP", "TLS not available");
  ok("Begin TLS negotiation");
  out_.push_back(action::StartTls{});
  awaiting_ = Awaiting::tls;
  username_.clear();
  // Whatever was pipelined behind STLS arrived in clear: drop it unread.
  in_.clear();
}

void ServerProtocol::handle_capa(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: CAPA");
  std::string text = "+OK Capability list follows\r\nTOP\r\nUIDL\r\n";
  const bool before_login = state_ == State::authorization;
  if (before_login && login_allowed()) text += "USER\r\nSASL PLAIN\r\n";
  text += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (before_login && config_.tls_available && !tls_) text += "STLS\r\n";
  text += "IMPLEMENTATION tern\r\n.\r\n";
  reply(std::move(text));
}

void ServerProtocol::handle_quit(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: QUIT");
  if (state_ == State::authorization || deleted_count_ == 0) {
    close_with(format_ok(config_.hostname + " POP3 signing off"));
    return;
  }
  // RFC 1939 6: the UPDATE state; "+OK" only once the removal is durable.
  state_ = State::update;
  action::Expunge expunge;
  expunge.uids.reserve(deleted_count_);
  for (std::size_t i = 0; i < deleted_.size(); ++i)
    if (deleted_[i]) expunge.uids.push_back(maildrop_.entries[i].uid);
  deleted_on_quit_ = deleted_count_;
  out_.push_back(std::move(expunge));
  awaiting_ = Awaiting::update;
}

std::string ServerProtocol::maildrop_summary() const {
  return "maildrop has " + std::to_string(maildrop_.entries.size() - deleted_count_) + " messages (" +
         std::to_string(total_size_ - deleted_size_) + " octets)";
}

std::string ServerProtocol::listing_line(std::size_t index, bool unique) const {
  const MaildropEntry& entry = maildrop_.entries[index];
  return std::to_string(index + 1) + ' ' +
         (unique ? unique_id(maildrop_.uidvalidity, entry.uid) : std::to_string(entry.size)) + "\r\n";
}

const MaildropEntry* ServerProtocol::message_argument(std::string_view argument) {
  const std::optional<std::uint64_t> number = parse_number(argument);
  if (!number) {
    refuse("", "Syntax: message number expected");
    return nullptr;
  }
  if (*number == 0 || *number > maildrop_.entries.size()) {
    refuse("", "No such message");
    return nullptr;
  }
  const auto index = static_cast<std::size_t>(*number - 1);
  if (deleted_[index]) {
    refuse("", "Message " + std::to_string(*number) + " already deleted");
    return nullptr;
  }
  return &maildrop_.entries[index];
}

void ServerProtocol::handle_stat(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: STAT");
  ok(std::to_string(maildrop_.entries.size() - deleted_count_) + ' ' + std::to_string(total_size_ - deleted_size_));
}

void ServerProtocol::handle_list(std::string_view arguments, bool unique_ids) {
  if (arguments.empty()) {
    ok(unique_ids ? std::string("Unique-ID listing follows") : maildrop_summary());
    stream_.emplace();
    stream_->kind = unique_ids ? Stream::Kind::unique_ids : Stream::Kind::sizes;
    return;
  }
  const MaildropEntry* entry = message_argument(arguments);
  if (!entry) return;
  const auto index = static_cast<std::size_t>(entry - maildrop_.entries.data());
  std::string line = listing_line(index, unique_ids);
  line.resize(line.size() - 2);
  ok(line);
}

void ServerProtocol::handle_retr(std::string_view arguments) {
  const MaildropEntry* entry = message_argument(arguments);
  if (!entry) return;
  // A large message comes in pieces (the +OK then gives its stored size).
  const std::size_t length =
      entry->size > config_.piece_octets ? static_cast<std::size_t>(config_.piece_octets) : 0;
  loading_ = detail::Loading{entry->message_id, entry->uid, entry->size, length, std::nullopt};
  out_.push_back(action::LoadMessage{entry->message_id, entry->uid, 0, length});
  awaiting_ = Awaiting::message;
}

void ServerProtocol::handle_top(std::string_view arguments) {
  const std::size_t space = arguments.find(' ');
  if (space == std::string_view::npos) return refuse("", "Syntax: TOP message lines");
  const std::optional<std::uint64_t> lines = parse_number(arguments.substr(space + 1));
  if (!lines) return refuse("", "Syntax: TOP message lines");
  const MaildropEntry* entry = message_argument(arguments.substr(0, space));
  if (!entry) return;
  loading_ = detail::Loading{entry->message_id, entry->uid, entry->size, 0, *lines};
  out_.push_back(action::LoadMessage{entry->message_id, entry->uid});
  awaiting_ = Awaiting::message;
}

void ServerProtocol::handle_dele(std::string_view arguments) {
  const MaildropEntry* entry = message_argument(arguments);
  if (!entry) return;
  const auto index = static_cast<std::size_t>(entry - maildrop_.entries.data());
  deleted_[index] = true;
  ++deleted_count_;
  deleted_size_ += entry->size;
  ok("Message " + std::to_string(index + 1) + " deleted");
}

void ServerProtocol::handle_noop(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: NOOP");
  ok("");
}

void ServerProtocol::handle_rset(std::string_view arguments) {
  if (!arguments.empty()) return refuse("", "Syntax: RSET");
  deleted_.assign(maildrop_.entries.size(), false);
  deleted_count_ = 0;
  deleted_size_ = 0;
  ok(maildrop_summary());
}

}  // namespace tern::pop3
