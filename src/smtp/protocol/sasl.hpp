// The little of SASL the SMTP protocol needs to run AUTH itself: splitting
// a PLAIN response (RFC 4616 2) and the LOGIN prompts. Base64 is core's
// strict decoder (RFC 4648). src/auth/sasl.hpp holds a full exchange for all
// three protocols; this stays minimal so the SMTP state machine depends on core only.
// Security: every field is bounded and NUL-free before it leaves here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::smtp::sasl {

inline constexpr std::size_t max_username_octets = 256;
inline constexpr std::size_t max_password_octets = 1024;

// LOGIN challenges: base64 of "Username:" and "Password:".
inline constexpr std::string_view login_username_prompt = "VXNlcm5hbWU6";
inline constexpr std::string_view login_password_prompt = "UGFzc3dvcmQ6";

struct PlainResponse {
  std::string authzid;  // "" when the client did not ask to act as someone else
  std::string authcid;
  std::string password;
};

// Splits a decoded PLAIN message "[authzid] NUL authcid NUL passwd": exactly
// two NULs, authcid and passwd non-empty and within the bounds above.
std::optional<PlainResponse> split_plain(std::string_view decoded);

// A LOGIN user name or password: non-empty, no NUL, within `max_octets`.
bool valid_login_field(std::string_view decoded, std::size_t max_octets);

}  // namespace tern::smtp::sasl
