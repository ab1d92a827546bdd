// The dispatch point of the SMTP server protocol and the commands outside a
// mail transaction: EHLO/HELO, STARTTLS, AUTH, RSET, NOOP, QUIT, VRFY, EXPN, HELP.
//   RFC 5321 4.1.1.1, 4.1.1.5-4.1.1.10, 4.1.4; RFC 3207 4; RFC 4954 4
//   (PLAIN/LOGIN, SASL-IR, "*" cancels, "=" is an empty response).
// Security: every command passes check_gates() (EHLO first, STARTTLS first on
// the submission port, AUTH first where required) before any handler runs.
#include "core/base64.hpp"
#include "core/text.hpp"
#include "auth/sasl.hpp"
#include "smtp/protocol/server_protocol.hpp"

namespace tern::smtp {
namespace {


// The EHLO/HELO argument ends up in Received: fields; keep it one printable
// token (a domain or an address literal, RFC 5321 4.1.1.1).
bool valid_helo(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127) return false;
  }
  return true;
}

}  // namespace

void ServerProtocol::handle_command(std::string_view line) {
  group_end_ = false;
  if (line.find('\0') != std::string_view::npos) {
    refuse(500, "5.5.2", "NUL characters are not allowed in commands");
    return;
  }
  line = text::trim_right(line, text::wsp);
  const CommandLine command = split_command(line);
  const CommandSpec* spec = find_command(command.verb);
  if (!spec) {
    refuse(500, "5.5.2", command.verb.empty() ? "Empty command" : "Command unrecognized");
    return;
  }
  group_end_ = (spec->flags & command_flag::ends_group) != 0;
  std::optional<Refusal> gate = check_gates(*spec);
  if (spec->verb == Verb::bdat) {
    handle_bdat(command.arguments, std::move(gate));  // must consume its octets even when refused
    return;
  }
  if (gate) {
    refuse(*gate);
    return;
  }
  switch (spec->verb) {
    case Verb::ehlo: handle_ehlo(command.arguments, true); break;
    case Verb::helo: handle_ehlo(command.arguments, false); break;
    case Verb::mail: handle_mail(command.arguments); break;
    case Verb::rcpt: handle_rcpt(command.arguments); break;
    case Verb::data: handle_data(command.arguments); break;
    case Verb::starttls: handle_starttls(command.arguments); break;
    case Verb::auth: handle_auth(command.arguments); break;
    case Verb::bdat: break;  // handled above
    case Verb::rset:
    case Verb::noop:
    case Verb::quit:
    case Verb::vrfy:
    case Verb::expn:
    case Verb::help: handle_simple(spec->verb, command.arguments); break;
  }
}

std::optional<Refusal> ServerProtocol::check_gates(const CommandSpec& spec) const {
  if (tls_required() && !(spec.flags & command_flag::before_tls))
    return Refusal{530, "5.7.0", "Must issue a STARTTLS command first"};
  if ((spec.flags & command_flag::needs_helo) && helo_.empty())
    return Refusal{503, "5.5.1", "Send EHLO or HELO first"};
  if ((spec.flags & command_flag::needs_auth) && auth_required() && auth_user_.empty())
    return Refusal{530, "5.7.0", "Authentication required"};
  return std::nullopt;
}

void ServerProtocol::handle_ehlo(std::string_view arguments, bool extended) {
  if (!valid_helo(arguments)) {
    refuse(501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    return;
  }
  // RFC 5321 4.1.4: a new EHLO/HELO also resets the mail transaction.
  transaction_.reset();
  helo_ = std::string(arguments);
  esmtp_ = extended;
  if (!extended) {
    reply(250, "", config_.hostname);
    return;
  }
  std::string lines = config_.hostname;
  lines += "\nSIZE " + std::to_string(config_.max_message_size);
  lines += "\n8BITMIME\nSMTPUTF8\nPIPELINING\nCHUNKING\nDSN\nENHANCEDSTATUSCODES";
  if (config_.tls_available && !tls_) lines += "\nSTARTTLS";
  if (auth_offered()) lines += "\nAUTH PLAIN LOGIN";
  lines += "\nHELP";
  reply(250, "", lines);
}

void ServerProtocol::handle_starttls(std::string_view arguments) {
  if (!arguments.empty()) return refuse(501, "5.5.4", "Syntax: STARTTLS");
  if (tls_) return refuse(503, "5.5.1", "TLS is already active");
  if (!config_.tls_available) return refuse(454, "4.7.0", "TLS not available");
  if (transaction_) return refuse(503, "5.5.1", "MAIL transaction in progress");
  reply(220, "2.0.0", "Ready to start TLS");
  out_.push_back(action::StartTls{});
  awaiting_ = Awaiting::tls;
  // Whatever was pipelined behind STARTTLS arrived in clear: drop it unread.
  in_.clear();
}

void ServerProtocol::handle_auth(std::string_view arguments) {
  if (config_.mode == Mode::smtp) return refuse(503, "5.5.1", "Authentication is not enabled on this port");
  if (!auth_offered())
    return refuse(538, "5.7.11", "Encryption required for requested authentication mechanism");
  if (!auth_user_.empty()) return refuse(503, "5.5.1", "Already authenticated");
  if (transaction_) return refuse(503, "5.5.1", "AUTH is not permitted during a mail transaction");
  const CommandLine parts = split_command(arguments);  // mechanism [SP initial-response]
  const std::string mechanism = text::to_upper(parts.verb);
  if (parts.arguments.find(' ') != std::string_view::npos || (mechanism.empty()))
    return refuse(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  if (mechanism != "PLAIN" && mechanism != "LOGIN")
    return refuse(504, "5.5.4", "Unrecognized authentication mechanism");
  std::optional<std::string_view> initial;
  if (!parts.arguments.empty()) initial = parts.arguments;
  auto exchange = auth::SaslExchange::start(mechanism, initial);
  if (!exchange) return refuse(504, "5.5.4", "Unrecognized authentication mechanism");
  sasl_mechanism_ = mechanism;
  sasl_.emplace(std::move(*exchange));
  follow_sasl(sasl_->first_step());
}

void ServerProtocol::handle_sasl_line(std::string_view line) {
  group_end_ = true;  // the client waits for every step of the exchange
  follow_sasl(sasl_->step(line));
}

void ServerProtocol::follow_sasl(const auth::SaslStep& step) {
  if (const auto* challenge = std::get_if<auth::SaslChallenge>(&step)) {
    input_ = Input::sasl_response;
    group_end_ = true;
    return reply(334, "", challenge->base64);
  }
  if (const auto* credentials = std::get_if<auth::Credentials>(&step))
    return request_authentication(sasl_mechanism_, credentials->authcid, credentials->password);
  const auto& failed = std::get<auth::SaslFailed>(step);
  switch (failed.reason) {
    case auth::SaslFailure::cancelled: return end_sasl(Refusal{501, "5.7.0", "Authentication cancelled"});
    case auth::SaslFailure::malformed: return end_sasl(Refusal{501, "5.5.2", "Malformed authentication response"});
    // No logins on behalf of someone else (RFC 4616 authzid).
    case auth::SaslFailure::not_permitted:
      return end_sasl(Refusal{535, "5.7.8", "Authentication credentials invalid"});
  }
}

void ServerProtocol::request_authentication(std::string mechanism, std::string username,
                                            std::string password) {
  input_ = Input::command;
  sasl_.reset();
  sasl_username_ = username;
  out_.push_back(action::Authenticate{std::move(mechanism), std::move(username), std::move(password)});
  awaiting_ = Awaiting::authentication;
}

void ServerProtocol::end_sasl(const Refusal& refusal) {
  input_ = Input::command;
  sasl_.reset();
  sasl_username_.clear();
  refuse(refusal);
}

void ServerProtocol::handle_simple(Verb verb, std::string_view arguments) {
  switch (verb) {
    case Verb::rset:
      if (!arguments.empty()) return refuse(501, "5.5.4", "Syntax: RSET");
      transaction_.reset();
      return reply(250, "2.0.0", "Ok");
    case Verb::noop:
      return reply(250, "2.0.0", "Ok");  // RFC 5321 4.1.1.9: an argument is allowed and ignored
    case Verb::quit:
      if (!arguments.empty()) return refuse(501, "5.5.4", "Syntax: QUIT");
      return close_with(221, "2.0.0", config_.hostname + " Bye");
    case Verb::vrfy:
      if (arguments.empty()) return refuse(501, "5.5.4", "Syntax: VRFY address");
      // RFC 5321 7.3: never confirm which addresses exist.
      return reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    case Verb::expn:
      return refuse(502, "5.5.1", "EXPN is not available");
    case Verb::help:
      return reply(214, "2.0.0",
                   "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\n"
                   "See RFC 5321");
    default:
      return;
  }
}

}  // namespace tern::smtp
