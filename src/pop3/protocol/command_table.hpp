// The POP3 commands tern knows, with the flags that the one dispatch point
// checks before any handler runs: the states a command is valid in and
// whether it carries credentials (refused in clear, DESIGN.md rule 3).
//   RFC 1939 (commands and their states), RFC 2449 (CAPA), RFC 2595 4
//   (STLS), RFC 5034 (AUTH). APOP is not offered.
#pragma once

#include <string_view>

namespace tern::pop3 {

enum class Verb { user, pass, auth, stls, capa, quit, stat, list, retr, dele, noop, rset, top, uidl };

namespace command_flag {
// Valid in the AUTHORIZATION state (RFC 1939 4).
inline constexpr unsigned authorization = 1u << 0;
// Valid in the TRANSACTION state (RFC 1939 5).
inline constexpr unsigned transaction = 1u << 1;
// Carries credentials: only over TLS, unless plaintext logins are allowed.
inline constexpr unsigned credentials = 1u << 2;
}  // namespace command_flag

struct CommandSpec {
  std::string_view name;
  Verb verb;
  unsigned flags;
};

// The entry for a keyword, matched case-insensitively (RFC 1939 3); nullptr when unknown.
const CommandSpec* find_command(std::string_view keyword);

// "TOP 1 10" -> {"TOP", "1 10"}; the keyword ends at the first space.
struct CommandLine {
  std::string_view keyword;
  std::string_view arguments;
};
CommandLine split_command(std::string_view line);

}  // namespace tern::pop3
