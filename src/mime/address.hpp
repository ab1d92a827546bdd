// RFC 5322 3.4 address lists as IMAP ENVELOPE needs them (RFC 9051 7.5.2):
// mailboxes, groups (a start marker with the group name and an end marker),
// routes (obs-route), and the tolerant fallbacks Dovecot uses: a comment as
// display name for a bare addr-spec, "MISSING_MAILBOX"/"MISSING_DOMAIN" for
// absent parts (corpus 021, 047, 050).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

struct Address {
  std::optional<std::string> name;     // display name, raw (RFC 2047 words undecoded)
  std::optional<std::string> route;    // "@a,@b" (obs-route)
  std::optional<std::string> mailbox;  // local part; group name for a group start; nullopt for a group end
  std::optional<std::string> host;     // nullopt for group markers
};

// Parses an unfolded field value. Garbage ends the list; what was parsed so far stays.
std::vector<Address> parse_address_list(std::string_view value);

}  // namespace tern::mime
