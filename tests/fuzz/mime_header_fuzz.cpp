// Fuzz target: the header section parser and the message summary
// (mime/header.hpp) on arbitrary bytes. Checks the invariants the store
// relies on: sizes within the message, no crash, no unbounded work.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  auto meta = tern::mime::describe_message(message);
  if (meta.size != size || meta.header_size > size) std::abort();
  auto fields = tern::mime::parse_header(message.substr(0, meta.header_size));
  for (const auto& f : fields)
    if (f.name.empty() || f.name.find('\n') != std::string::npos) std::abort();
  (void)tern::mime::parse_date(message);
  return 0;
}
