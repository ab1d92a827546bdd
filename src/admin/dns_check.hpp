// `tern dns check DOMAIN`: queries the records `tern dns DOMAIN` prints and
// says, record by record, what is in place, missing or wrong: MX, the
// host's addresses and their PTR, SPF (evaluated for each address of the
// host, as a receiver would), every active and pending DKIM key, DMARC and
// TLS-RPT. Exit code 0 when everything mail needs is in place, 1 otherwise.
#pragma once

#include <string>

#include "admin/commands.hpp"
#include "core/config.hpp"
#include "store/store.hpp"

namespace tern::dns {
class Resolver;
}

namespace tern::admin {

int dns_check(store::Store& store, const Config& config, const std::string& domain, dns::Resolver& resolver,
              Output io);

}  // namespace tern::admin
