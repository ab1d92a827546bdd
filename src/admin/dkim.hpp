// The DKIM and DNS verbs: `tern dkim generate|list|rotate DOMAIN` and
// `tern dns DOMAIN` (the records an operator publishes). Same conventions
// as commands.hpp: they print to `io` and return the exit code.
#pragma once

#include <optional>
#include <string>

#include "admin/commands.hpp"
#include "core/config.hpp"

namespace tern::admin {

// A new Ed25519 and RSA-2048 pair for DOMAIN: active when the domain signs
// with nothing yet, otherwise pending (published first, see dkim_rotate).
// Prints the records to publish.
int dkim_generate(store::Store& store, const std::string& domain, Output io);
int dkim_list(store::Store& store, const std::optional<std::string>& domain, Output io);
// Rotation in two steps, so that no mail is ever signed by a key that
// verifiers cannot find: without a pending pair, makes one and prints its
// records; with one (published meanwhile), makes it active and retires the
// keys it replaces (still printed by `tern dns` for mail in flight).
int dkim_rotate(store::Store& store, const std::string& domain, Output io);

// Every record to publish for DOMAIN, in zone-file syntax.
// The DKIM keys of a local domain (Errc::not_found when it is not one).
Result<std::vector<store::DkimKey>> local_domain_keys(store::Store& store, const std::string& domain);

int dns_records(store::Store& store, const Config& config, const std::string& domain, Output io);

// The zone-file form of a TXT value: quoted strings of at most 255 octets
// (RFC 1035 3.3.14), separated by spaces.
std::string txt_strings(std::string_view value);

}  // namespace tern::admin
