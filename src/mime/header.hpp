// The header section of an Internet message (RFC 5322 2.2, 3.6): where it
// ends, its fields unfolded, and the summary the store keeps for each message.
// Tolerant by design: mail in the wild has bare LF, missing separators and
// junk lines, and none of that may make a message unreadable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unix_time.hpp"
#include "mime/message_meta.hpp"

namespace tern::mime {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded (CRLF + WSP -> WSP), leading whitespace trimmed
};

// Octets of the header section including the empty line that ends it; the
// whole message when there is no empty line (RFC 5322 allows no body).
std::size_t header_size(std::string_view message);

// Parses the header section into fields, in order. Lines without a colon are
// skipped (they are not fields).
std::vector<HeaderField> parse_header(std::string_view header);

// The first field named `name` (case-insensitive), if any.
std::optional<std::string> find_field(const std::vector<HeaderField>& fields, std::string_view name);

// RFC 5322 3.3 date-time, with the obsolete forms of 4.3 (two-digit years,
// named zones, missing seconds, missing day of week); nullopt when unparsable.
std::optional<UnixTime> parse_date(std::string_view text);

// Size, header size, Date and the envelope fields of a message.
MessageMeta describe_message(std::string_view message);

}  // namespace tern::mime
