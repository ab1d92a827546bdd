// Address checks for the session's relay policy (DESIGN.md rule 2).
// Security: "%" hacks (user%other@ours), UUCP bang paths (other!user@ours)
// and a quoted '@' ("user@other"@ours) are old ways to make a server that
// accepts mail for its own domain forward it elsewhere. tern never routes on
// them, but refuses them for local domains unless the client authenticated,
// so no later hop (a forward, an alias, a gateway) can be talked into it.
#pragma once

#include "core/address.hpp"

namespace tern::smtp {

bool looks_like_relay_trick(const address::Address& address);

}  // namespace tern::smtp
