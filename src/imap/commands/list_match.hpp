// LIST patterns (RFC 9051 6.3.9): "*" matches anything, "%" anything but
// the hierarchy separator "/"; INBOX matches case-insensitively.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace tern::imap {

// The reference and the pattern as one pattern (a pattern starting with
// "/" ignores the reference).
std::string combine_reference(std::string_view reference, std::string_view pattern);
bool pattern_matches(std::string_view pattern, std::string_view name);
bool has_children(const std::vector<store::Mailbox>& all, std::string_view name);
bool has_subscribed_child(const std::vector<store::Mailbox>& all, std::string_view name);
// INBOX first, then by name.
std::vector<store::Mailbox> ordered(const std::vector<store::Mailbox>& all);

}  // namespace tern::imap
