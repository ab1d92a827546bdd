// Checks on mailbox names from CREATE and RENAME: tern's hierarchy
// separator is "/", names are UTF-8 (mailbox_in decoded them).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::imap {

// The name to create: a trailing "/" only declares the name a parent
// (RFC 9051 6.3.4) and is dropped. nullopt for names tern refuses: empty,
// empty levels ("a//b", "/a"), wildcards "%" and "*", control characters,
// levels over 255 octets or names over 1000 octets.
std::optional<std::string> name_to_create(std::string_view name);

}  // namespace tern::imap
