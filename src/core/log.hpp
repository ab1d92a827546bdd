// Logging: one line per event on stderr, as key=value pairs
// ("ts=... level=info event=listen protocol=smtp address=127.0.0.1:25").
// Values with spaces, quotes or '=' are quoted by kv().
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace tern::log {

// Installs the stderr logger with the key=value pattern; level by name.
void init(std::string_view level = "info");

// A value as it should appear after "key=": bare when safe, else quoted.
std::string kv(std::string_view value);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace tern::log
