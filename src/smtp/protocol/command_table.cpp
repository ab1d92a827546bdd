// The SMTP command table (RFC 5321 4.1.1, RFC 2920 3.1, RFC 3207, RFC 4954, RFC 3030).
#include "smtp/protocol/command_table.hpp"

#include <array>

#include "core/text.hpp"

namespace tern::smtp {
namespace {

using namespace command_flag;

constexpr std::array<CommandSpec, 14> commands{{
    {"EHLO", Verb::ehlo, ends_group | before_tls},
    {"HELO", Verb::helo, ends_group | before_tls},
    {"MAIL", Verb::mail, needs_helo | needs_auth},
    {"RCPT", Verb::rcpt, needs_helo | needs_auth},
    {"DATA", Verb::data, ends_group | needs_helo | needs_auth},
    {"BDAT", Verb::bdat, needs_helo | needs_auth},
    {"RSET", Verb::rset, before_tls},
    {"NOOP", Verb::noop, ends_group | before_tls},
    {"QUIT", Verb::quit, ends_group | before_tls},
    {"VRFY", Verb::vrfy, ends_group},
    {"EXPN", Verb::expn, ends_group},
    {"HELP", Verb::help, ends_group | before_tls},
    {"STARTTLS", Verb::starttls, ends_group | before_tls | needs_helo},
    {"AUTH", Verb::auth, ends_group | needs_helo},
}};


}  // namespace

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& spec : commands)
    if (text::iequals(name, spec.name)) return &spec;
  return nullptr;
}

CommandLine split_command(std::string_view line) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace tern::smtp
