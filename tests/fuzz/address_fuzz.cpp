// Fuzz target: address parsing on arbitrary bytes: SMTP paths
// (core/address.hpp, with and without SMTPUTF8 and catch-alls), header
// address lists (mime/address.hpp) and RFC 2047 decoding of header values.
// Checks: no crash, the RFC 5321 length bounds hold for anything accepted,
// and an accepted address's own text parses back to the same address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/address.hpp"
#include "mime/address.hpp"
#include "mime/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int variant = 0; variant < 4; ++variant) {
    tern::address::ParseOptions options;
    options.allow_utf8 = (variant & 1) != 0;
    options.allow_catch_all = (variant & 2) != 0;
    auto parsed = tern::address::parse(text, options);
    if (!parsed) continue;
    if (parsed->domain.size() > 255) std::abort();
    auto again = tern::address::parse(parsed->str(), options);
    if (!again || again->domain != parsed->domain ||
        tern::address::canonical(*again) != tern::address::canonical(*parsed))
      std::abort();
  }
  auto list = tern::mime::parse_address_list(text);
  if (list.size() > size + 1) std::abort();
  (void)tern::mime::decode_header_value(text);
  return 0;
}
