// The SMTP commands tern knows, with the flags that the one dispatch point
// checks before any handler runs (the shape of Postfix's smtpd command table).
//   RFC 5321 4.1.1 (commands), RFC 2920 3.1 (commands that end a pipelined
//   group), RFC 3207 4.2 (STARTTLS ends a group), RFC 4954 4 (AUTH ends a
//   group, no AUTH within a transaction), RFC 3030 2 (BDAT).
#pragma once

#include <string_view>

namespace tern::smtp {

enum class Verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth };

namespace command_flag {
// The client waits for this reply before sending more (RFC 2920 3.1):
// flush the replies held so far together with this one.
inline constexpr unsigned ends_group = 1u << 0;
// Allowed on the submission port before STARTTLS.
inline constexpr unsigned before_tls = 1u << 1;
// Needs a successful AUTH first where the mode demands one (submission ports).
inline constexpr unsigned needs_auth = 1u << 2;
// Needs EHLO or HELO first (RFC 5321 4.1.4).
inline constexpr unsigned needs_helo = 1u << 3;
}  // namespace command_flag

struct CommandSpec {
  std::string_view name;
  Verb verb;
  unsigned flags;
};

// The entry for a command name, matched case-insensitively; nullptr when unknown.
const CommandSpec* find_command(std::string_view name);

// "MAIL FROM:<a@b>" -> {"MAIL", "FROM:<a@b>"}; the verb ends at the first space.
struct CommandLine {
  std::string_view verb;
  std::string_view arguments;
};
CommandLine split_command(std::string_view line);

}  // namespace tern::smtp
