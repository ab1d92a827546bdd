// Unique, unguessable identifiers for transactions and generated Message-IDs.
#pragma once

#include <string>

namespace tern {

// 20 characters of base32 (100 random bits): unique across processes and restarts.
std::string make_unique_id();

}  // namespace tern
