// Server side of the SASL mechanisms tern offers, sans-I/O: the session
// passes client lines in and gets back what to send, the credentials, or why
// the exchange failed. The same exchange serves SMTP AUTH (RFC 4954), IMAP
// AUTHENTICATE (RFC 9051 6.2.2, RFC 4959) and POP3 AUTH (RFC 5034).
//   PLAIN  RFC 4616 2: [authzid] NUL authcid NUL passwd
//   LOGIN  draft-murchison-sasl-login: challenges "Username:", "Password:"
// Security: every response is bounded (max_response_octets decoded); the
// caller must only start an exchange on a protected connection (DESIGN.md
// rule 3) and must pass the credentials through the throttle.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace tern::auth {

inline constexpr std::size_t max_response_octets = 1024;

// The mechanism names as advertised (EHLO AUTH, CAPABILITY AUTH=).
std::vector<std::string> sasl_mechanisms();

struct Credentials {
  std::string authcid;   // the user name as sent; canonicalised by the authenticator
  std::string password;
};

// A challenge for the client: send `base64` after "334 " (SMTP) or "+ " (IMAP, POP3).
struct SaslChallenge {
  std::string base64;
};

enum class SaslFailure {
  cancelled,      // the client sent "*" (RFC 4954 4): reply 501
  malformed,      // bad base64, missing fields, too long: reply 501 / BAD
  not_permitted,  // authorization identity other than the user (no proxy logins): reply 535 / NO
};

struct SaslFailed {
  SaslFailure reason = SaslFailure::malformed;
  std::string message;
};

using SaslStep = std::variant<SaslChallenge, Credentials, SaslFailed>;

class SaslExchange {
 public:
  enum class Mechanism { plain, login };

  // Starts an exchange. `mechanism` is matched case-insensitively;
  // `initial_response` is the optional argument of AUTH / AUTHENTICATE
  // (RFC 4954 4, RFC 4959), where "=" stands for an empty response.
  // Errc::not_found for a mechanism tern does not offer.
  static Result<SaslExchange> start(std::string_view mechanism,
                                    std::optional<std::string_view> initial_response);

  // What to do right after start(): a challenge to send, or the outcome when
  // the initial response already settled the exchange.
  const SaslStep& first_step() const { return first_; }

  // Feeds one client line (without CRLF) and returns the next step. After a
  // Credentials or SaslFailed step the exchange is over; further lines fail.
  SaslStep step(std::string_view client_line);

  bool finished() const { return stage_ == Stage::finished; }
  Mechanism mechanism() const { return mechanism_; }

 private:
  enum class Stage { want_plain, want_username, want_password, finished };

  SaslExchange(Mechanism mechanism, Stage stage) : mechanism_(mechanism), stage_(stage) {}
  SaslStep consume(std::string_view client_line, bool initial);
  SaslStep handle(std::string decoded);
  SaslStep fail(SaslFailure reason, std::string message);

  Mechanism mechanism_;
  Stage stage_;
  std::string username_;
  SaslStep first_;
};

}  // namespace tern::auth
