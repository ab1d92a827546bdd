// Fuzz target: the configuration parser and validator (core/config.hpp) on
// arbitrary text. Every input must give a Config or an error naming the
// file; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = tern::parse_config(text, "fuzz.toml", "/tmp");
  if (!config && config.error().message.rfind("fuzz.toml", 0) != 0) std::abort();
  (void)tern::parse_duration(text);
  (void)tern::parse_size(text);
  (void)tern::parse_endpoint(text);
  return 0;
}
