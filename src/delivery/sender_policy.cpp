#include "delivery/sender_policy.hpp"

#include "core/address.hpp"
#include "core/text.hpp"
#include "mime/address.hpp"
#include "mime/header.hpp"

namespace tern::delivery {

namespace {

std::string_view domain_part(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace

bool may_send_as(SenderPolicy policy, const store::Account& account, std::string_view address,
                 const store::Resolution& resolution) {
  if (policy == SenderPolicy::any) return true;
  if (address == account.address) return true;
  for (auto id : resolution.accounts)
    if (id == account.id) return true;
  if (policy == SenderPolicy::domain)
    return !domain_part(address).empty() && text::iequals(domain_part(address), domain_part(account.address));
  return false;
}

std::vector<std::string> from_addresses(std::string_view message) {
  std::vector<std::string> out;
  for (const auto& field : mime::parse_header(message.substr(0, mime::header_size(message)))) {
    if (!text::iequals(field.name, "From")) continue;
    for (const auto& a : mime::parse_address_list(field.value)) {
      if (!a.mailbox || !a.host) continue;  // group markers
      out.push_back(address::canonical(address::Address{*a.mailbox, text::to_lower(*a.host)}));
    }
  }
  return out;
}

}  // namespace tern::delivery
