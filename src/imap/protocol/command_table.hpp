// The one table of IMAP commands: per command its name, whether a UID form
// exists, the session states it is valid in (RFC 9051 3), whether expunges
// may be reported after its plain form (RFC 9051 7.4.1), whether it always
// asks the store for changes, and its parser. The table is at the end of
// parser.cpp; each command's handler is the `run` overload for its body type
// in imap/commands/ (a body without one does not compile).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "imap/protocol/command.hpp"

namespace tern::imap {

class Lexer;

// Session states as bits of CommandSpec::states.
enum StateBit : std::uint8_t {
  in_not_authenticated = 1,
  in_authenticated = 2,
  in_selected = 4,
  in_any_state = in_not_authenticated | in_authenticated | in_selected,
};

struct CommandSpec {
  std::string_view name;
  std::uint8_t states;  // StateBit
  bool uid_form;        // may follow "UID "
  // RFC 9051 7.4.1: no EXPUNGE response may follow FETCH, STORE or SEARCH
  // (their plain forms), since the client's sequence numbers would shift.
  bool may_expunge;
  // Asks the store for changes after it even when this node saw none (another
  // node may share the database): NOOP and CHECK. IDLE polls by itself.
  bool polls;
  std::optional<CommandBody> (*parse)(Lexer& lexer, bool uid);
};

// The command named `name` (upper case, without "UID "), or nullptr.
const CommandSpec* find_command(std::string_view name);

}  // namespace tern::imap
