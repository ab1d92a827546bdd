// Reading a new password for `user add` / `user passwd`: from standard input
// (--password-stdin, one line) or from the terminal with echo off, asked
// twice. Never from the command line, where other users could see it.
#pragma once

#include <iosfwd>
#include <string>

#include "core/result.hpp"

namespace tern::admin {

// One line from `in`, without its line ending. Refuses an empty password,
// NUL bytes, and more than 1024 octets.
Result<std::string> read_password_line(std::istream& in);

// Prompts on /dev/tty with echo off, twice; fails when there is no terminal.
Result<std::string> prompt_password();

}  // namespace tern::admin
