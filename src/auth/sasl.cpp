// SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) as a small
// state machine over base64 client lines (RFC 4954 4 framing: "*" cancels,
// an initial response of "=" is empty).
#include "auth/sasl.hpp"

#include <openssl/crypto.h>

#include "core/base64.hpp"
#include "core/text.hpp"

namespace tern::auth {
namespace {

// The longest line that can decode to max_response_octets.
constexpr std::size_t max_line_octets = (max_response_octets + 2) / 3 * 4;

const std::string username_challenge = "VXNlcm5hbWU6";  // "Username:"
const std::string password_challenge = "UGFzc3dvcmQ6";  // "Password:"

}  // namespace

std::vector<std::string> sasl_mechanisms() { return {"PLAIN", "LOGIN"}; }

Result<SaslExchange> SaslExchange::start(std::string_view mechanism,
                                         std::optional<std::string_view> initial_response) {
  std::optional<SaslExchange> exchange;
  if (text::iequals(mechanism, "PLAIN")) {
    exchange.emplace(SaslExchange(Mechanism::plain, Stage::want_plain));
  } else if (text::iequals(mechanism, "LOGIN")) {
    exchange.emplace(SaslExchange(Mechanism::login, Stage::want_username));
  } else {
    return make_error(Errc::not_found, "unsupported SASL mechanism");
  }
  if (initial_response) {
    exchange->first_ = exchange->consume(*initial_response, true);
  } else if (exchange->mechanism_ == Mechanism::plain) {
    // RFC 4616 2: PLAIN has no server challenge; the empty one asks for the response.
    exchange->first_ = SaslChallenge{""};
  } else {
    exchange->first_ = SaslChallenge{username_challenge};
  }
  return std::move(*exchange);
}

SaslStep SaslExchange::step(std::string_view client_line) { return consume(client_line, false); }

SaslStep SaslExchange::consume(std::string_view client_line, bool initial) {
  if (stage_ == Stage::finished) return SaslFailed{SaslFailure::malformed, "the exchange is already over"};
  if (!initial && client_line == "*") return fail(SaslFailure::cancelled, "authentication cancelled");
  if (client_line.size() > max_line_octets) return fail(SaslFailure::malformed, "response too long");
  std::string_view encoded = client_line;
  // RFC 4954 4: "=" as the initial response is a zero-length response, since
  // an absent argument already means "no initial response".
  if (initial && encoded == "=") encoded = {};
  auto decoded = base64::decode(encoded);
  if (!decoded) return fail(SaslFailure::malformed, "response is not valid base64");
  return handle(std::move(*decoded));
}

SaslStep SaslExchange::handle(std::string decoded) {
  if (decoded.size() > max_response_octets) return fail(SaslFailure::malformed, "response too long");
  switch (stage_) {
    case Stage::want_plain: {
      std::size_t first_nul = decoded.find('\0');
      std::size_t second_nul =
          first_nul == std::string::npos ? std::string::npos : decoded.find('\0', first_nul + 1);
      if (second_nul == std::string::npos) return fail(SaslFailure::malformed, "PLAIN response lacks two NULs");
      if (decoded.find('\0', second_nul + 1) != std::string::npos) {
        return fail(SaslFailure::malformed, "PLAIN response has more than two NULs");
      }
      std::string authzid = decoded.substr(0, first_nul);
      Credentials credentials{decoded.substr(first_nul + 1, second_nul - first_nul - 1),
                              decoded.substr(second_nul + 1)};
      OPENSSL_cleanse(decoded.data(), decoded.size());
      if (credentials.authcid.empty()) return fail(SaslFailure::malformed, "PLAIN response has no user name");
      if (credentials.password.empty()) return fail(SaslFailure::malformed, "PLAIN response has no password");
      // Acting as another user (RFC 4616 2 authzid) is not offered.
      if (!authzid.empty() && authzid != credentials.authcid) {
        return fail(SaslFailure::not_permitted, "authorization identity differs from the user name");
      }
      stage_ = Stage::finished;
      return credentials;
    }
    case Stage::want_username:
      if (decoded.empty()) return fail(SaslFailure::malformed, "empty user name");
      if (decoded.find('\0') != std::string::npos) return fail(SaslFailure::malformed, "user name contains NUL");
      username_ = std::move(decoded);
      stage_ = Stage::want_password;
      return SaslChallenge{password_challenge};
    case Stage::want_password: {
      if (decoded.empty()) return fail(SaslFailure::malformed, "empty password");
      if (decoded.find('\0') != std::string::npos) {
        OPENSSL_cleanse(decoded.data(), decoded.size());
        return fail(SaslFailure::malformed, "password contains NUL");
      }
      stage_ = Stage::finished;
      return Credentials{std::move(username_), std::move(decoded)};
    }
    case Stage::finished:
      break;
  }
  return SaslFailed{SaslFailure::malformed, "the exchange is already over"};
}

SaslStep SaslExchange::fail(SaslFailure reason, std::string message) {
  stage_ = Stage::finished;
  return SaslFailed{reason, std::move(message)};
}

}  // namespace tern::auth
