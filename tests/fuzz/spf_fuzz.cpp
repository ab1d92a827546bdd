// Fuzz target: SPF records and macros on arbitrary bytes
// (mailauth/spf.hpp). The input is parsed as an SPF record (and as one
// after "v=spf1 "); every domain-spec of a record that parses is expanded,
// and the input is expanded as an explanation when it is a valid one.
// Checks: no crash; an expanded domain-spec never exceeds 253 octets when
// it has labels to drop; a record that parses has only valid domain-specs.
#include <asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailauth/spf.hpp"

namespace {

void check_domain(std::string_view spec, const tern::spf::MacroInput& in) {
  if (!tern::spf::valid_macro_string(spec, false)) std::abort();
  std::string out = tern::spf::expand_domain(spec, in);
  if (out.size() > 253 && out.find('.') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  tern::spf::MacroInput in;
  in.sender = "strong-bad@email.example.com";
  in.local = "strong-bad";
  in.sender_domain = "email.example.com";
  in.domain = "email.example.com";
  in.ip = asio::ip::make_address("2001:db8::cb01");
  in.helo = "mx.example.org";
  in.receiver = "mail.example.net";
  in.now = 1800000000;
  for (const std::string& text : {std::string(input), "v=spf1 " + std::string(input)}) {
    auto record = tern::spf::parse_record(text);
    if (!record) continue;
    for (const auto& m : record->mechanisms)
      if (!m.domain_spec.empty()) check_domain(m.domain_spec, in);
    if (record->redirect) check_domain(*record->redirect, in);
    if (record->exp) check_domain(*record->exp, in);
  }
  if (tern::spf::valid_macro_string(input, true)) (void)tern::spf::expand(input, in);
  return 0;
}
