// Fuzz target: DKIM on arbitrary bytes (mailauth/dkim_verify.hpp). The input
// is split at its first NUL into a message and a key record: every
// DKIM-Signature of the message is parsed and verified against the record,
// the body is hashed in both canonicalizations whole and in two pieces.
// Checks: no crash; the two ways of hashing agree; nothing passes against a
// key record that is not a usable key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailauth/dkim.hpp"
#include "mailauth/dkim_verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tern::dkim;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view message = input.substr(0, nul);
  std::string_view record = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  std::size_t header_end = message.find("\r\n\r\n");
  std::string_view header = header_end == std::string_view::npos ? message : message.substr(0, header_end + 4);
  std::string_view body = header_end == std::string_view::npos ? std::string_view() : message.substr(header_end + 4);

  for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    BodyHasher split(c);
    split.update(body.substr(0, body.size() / 3));
    split.update(body.substr(body.size() / 3));
    if (split.finish() != body_hash(body, c)) std::abort();
  }

  auto key = parse_key_record(record);
  KeyLookup lookup{KeyLookup::Outcome::found, {std::string(record)}};
  for (const auto& field : signature_fields(header)) {
    auto parsed = parse_signature(field);
    if (parsed) (void)signed_header_data(*parsed, field, header);
    Verdict v = verify(field, header, body, lookup, 1800000000);
    if (v.status == Status::pass && !key) std::abort();
  }
  return 0;
}
