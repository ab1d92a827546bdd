// libFuzzer target for the MIME tree parser and everything computed from it:
// part table, ENVELOPE/BODYSTRUCTURE, sections, BINARY, search text and the
// serialization round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mime/decode.hpp"
#include "mime/message.hpp"
#include "mime/section.hpp"
#include "mime/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tern::mime;
  std::string message = canonicalize_line_endings(std::string_view(reinterpret_cast<const char*>(data), size));
  MessageStructure st = analyze_message(message);
  for (const auto& p : st.parts) {
    if (p.header_offset + p.header_size > message.size() || p.body_offset + p.body_size > message.size()) std::abort();
  }
  auto back = deserialize(serialize(st));
  if (!back || !(*back == st)) std::abort();
  for (std::uint32_t a = 1; a <= 3; ++a) {
    for (std::uint32_t b = 0; b <= 2; ++b) {
      SectionSpec spec;
      spec.path = b == 0 ? std::vector<std::uint32_t>{a} : std::vector<std::uint32_t>{a, b};
      for (auto t : {SectionSpec::Text::none, SectionSpec::Text::mime, SectionSpec::Text::header,
                     SectionSpec::Text::text}) {
        spec.text = t;
        (void)fetch_section(message, st.parts, spec);
      }
      (void)fetch_binary(message, st.parts, spec.path);
    }
  }
  (void)message_text(message, st.parts, true);
  return 0;
}
