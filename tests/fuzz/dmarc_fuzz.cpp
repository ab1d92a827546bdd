// Fuzz target: DMARC records and organizational domains on arbitrary bytes
// (mailauth/dmarc.hpp). Checks: no crash; a record that parses has a pct
// of at most 100 and at most 10 report addresses of each kind; the
// organizational domain of a name is its own organizational domain.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/dmarc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const std::string& text : {std::string(input), "v=DMARC1; " + std::string(input)}) {
    auto record = tern::dmarc::parse_record(text);
    if (!record) continue;
    if (record->percent > 100) std::abort();
    if (record->aggregate_uris.size() > 10 || record->failure_uris.size() > 10) std::abort();
  }
  std::string name(input.substr(0, 300));
  if (name.find('\0') == std::string::npos) {
    std::string org = tern::dmarc::organizational_domain(name);
    if (tern::dmarc::organizational_domain(org) != org) std::abort();
    (void)tern::dmarc::aligned(name, org, tern::dmarc::Alignment::relaxed);
  }
  return 0;
}
