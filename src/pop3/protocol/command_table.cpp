// The POP3 command table (RFC 1939 4-7, RFC 2449 5, RFC 2595 4, RFC 5034 4).
#include "pop3/protocol/command_table.hpp"

#include <array>

#include "core/text.hpp"

namespace tern::pop3 {
namespace {

using namespace command_flag;

constexpr std::array<CommandSpec, 14> commands{{
    {"USER", Verb::user, authorization | credentials},
    {"PASS", Verb::pass, authorization | credentials},
    {"AUTH", Verb::auth, authorization | credentials},
    {"STLS", Verb::stls, authorization},
    {"CAPA", Verb::capa, authorization | transaction},
    {"QUIT", Verb::quit, authorization | transaction},
    {"STAT", Verb::stat, transaction},
    {"LIST", Verb::list, transaction},
    {"RETR", Verb::retr, transaction},
    {"DELE", Verb::dele, transaction},
    {"NOOP", Verb::noop, transaction},
    {"RSET", Verb::rset, transaction},
    {"TOP", Verb::top, transaction},
    {"UIDL", Verb::uidl, transaction},
}};


}  // namespace

const CommandSpec* find_command(std::string_view keyword) {
  for (const CommandSpec& spec : commands)
    if (text::iequals(keyword, spec.name)) return &spec;
  return nullptr;
}

CommandLine split_command(std::string_view line) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace tern::pop3
