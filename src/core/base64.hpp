// Base64 (RFC 4648 4) for protocol lines: SASL exchanges (RFC 4954, RFC 9051
// 6.2.2) and anywhere else one value is carried as one base64 token. The
// decoder is strict: no whitespace, no line breaks, padding required and only
// at the end, unused bits zero (RFC 4648 3.5). MIME bodies, which wrap lines
// and tolerate junk (RFC 2045 6.8), need their own lenient decoder.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern::base64 {

std::string encode(std::string_view data);

// Errc::invalid with a message naming what is wrong.
Result<std::string> decode(std::string_view text);

}  // namespace tern::base64
