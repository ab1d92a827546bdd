// Sender policy for mail from authenticated users (docs/smtp.md "Sender
// policy"): the envelope sender and every From: address must be one the
// account may use. Pure: the caller resolves each address with the store
// first and passes what it resolved to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "store/types.hpp"

namespace tern::delivery {

// Whether `account` may send as `address` (canonical, as address::canonical
// gives it), which the store resolved to `resolution`: its own address and
// the aliases that deliver to it; under SenderPolicy::domain also any other
// address of its domain; under SenderPolicy::any everything.
bool may_send_as(SenderPolicy policy, const store::Account& account, std::string_view address,
                 const store::Resolution& resolution);

// The addresses of the message's From: fields, canonical, in order. Group
// syntax and display names are looked through; parts the parser had to
// invent (a missing local part or domain) are kept as written so that they
// never match an account.
std::vector<std::string> from_addresses(std::string_view message);

}  // namespace tern::delivery
