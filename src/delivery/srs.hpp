// The Sender Rewriting Scheme for mail tern forwards (an alias of a local
// domain that points off-server): the forwarded copy leaves with
//   SRS0=HHHH=TT=orig.domain=orig-local@alias.domain
// as its envelope sender, so SPF at the next hop checks alias.domain, whose
// record names tern, instead of the original domain, whose record does not.
// A bounce to that address comes back here and goes on to the original
// sender, but only with a valid hash (HMAC-SHA1 under tern's secret: nobody
// else can make tern relay) and a timestamp of the last 21 days. The form is
// the widespread SRS0 one that libsrs2 and postsrsd write (base32 day
// stamp, 4 characters of base64 HMAC over the lower-cased parts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern::delivery {

class SrsKey {
 public:
  explicit SrsKey(std::string secret) : secret_(std::move(secret)) {}

  // The secret in `path`, made (32 random octets, base64, mode 0600) when
  // the file does not exist; its first line, trimmed, when it does.
  static Result<SrsKey> load_or_create(const std::filesystem::path& path);

  // `sender` (local@domain) as SRS0 at `domain`; `now` in seconds.
  std::string forward(std::string_view sender, std::string_view domain, std::int64_t now) const;
  // The original sender of an SRS0 address, when its hash is ours and its
  // timestamp is at most 21 days old; nullopt otherwise.
  std::optional<std::string> reverse(std::string_view address, std::int64_t now) const;

 private:
  std::string hash(std::string_view timestamp, std::string_view domain, std::string_view local) const;
  std::string secret_;
};

// Whether a local part is an SRS address ("SRS0=" or "SRS1=", any case).
bool is_srs_local_part(std::string_view local);

}  // namespace tern::delivery
