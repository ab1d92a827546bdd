// Parsers shared by the files of the command parser: SEARCH criteria and
// FETCH items (RFC 9051 6.4.4, 6.4.5), the mailbox commands, STATUS items.
#pragma once

#include <optional>
#include <vector>

#include "imap/protocol/command.hpp"
#include "imap/protocol/lexer.hpp"

namespace tern::imap::detail {

// After "SEARCH ": [RETURN (...)] [CHARSET x] search-key *(SP search-key).
std::optional<command::Search> parse_search(Lexer& lexer);

// After "FETCH ": sequence-set SP (macro / att / "(" att *(SP att) ")") [SP modifiers].
std::optional<command::Fetch> parse_fetch(Lexer& lexer, bool uid);

// After the command name, for the mailbox commands (mailbox_commands.cpp).
std::optional<CommandBody> parse_select(Lexer& lexer, bool read_only);
std::optional<CommandBody> parse_create(Lexer& lexer);
std::optional<CommandBody> parse_rename(Lexer& lexer);
std::optional<CommandBody> parse_list(Lexer& lexer);
std::optional<CommandBody> parse_lsub(Lexer& lexer);
std::optional<CommandBody> parse_status(Lexer& lexer);

// STATUS items: "(" status-att *(SP status-att) ")".
std::optional<std::vector<StatusItem>> parse_status_items(Lexer& lexer);

}  // namespace tern::imap::detail
