// Checks on mailbox names, before any reaches the store: tern's hierarchy
// separator is "/", names are UTF-8 (mailbox_in decoded them).
//
// Security: a name is a key in the store, a line in every LIST and a string
// a mail client shows, so what could never name a mailbox is answered
// without the store (NONEXISTENT for a lookup, CANNOT for CREATE and
// RENAME): empty names and levels ("a//b", "/a"), the wildcards "%" and "*",
// control characters (C0, DEL, C1) and the invisible bidirectional controls
// that make a name read as another (U+202A-U+202E, U+2066-U+2069, U+200E,
// U+200F, U+061C); and the bounds below. The number of mailboxes an account
// may hold is limits.max_mailboxes (CREATE and RENAME check it).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tern::imap {

inline constexpr std::size_t max_mailbox_name_octets = 1000;
inline constexpr std::size_t max_mailbox_level_octets = 255;
inline constexpr std::size_t max_mailbox_depth = 32;  // levels: "a/b/c" has 3

// Whether a UTF-8 name could name a mailbox (the rules above).
bool valid_mailbox_name(std::string_view name);

// The name to create: a trailing "/" only declares the name a parent
// (RFC 9051 6.3.4) and is dropped. nullopt for names tern refuses.
std::optional<std::string> name_to_create(std::string_view name);

}  // namespace tern::imap
