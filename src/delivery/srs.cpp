#include "delivery/srs.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <array>
#include <fstream>

#include "core/base64.hpp"
#include "core/text.hpp"

namespace tern::delivery {

namespace {

constexpr std::string_view base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::int64_t day = 24 * 3600;
constexpr int max_age_days = 21;  // libsrs2's default
constexpr std::size_t hash_length = 4;

// Days since the epoch modulo 1024, as two base32 characters (libsrs2).
std::string timestamp(std::int64_t now) {
  auto days = static_cast<unsigned>((now / day) % 1024);
  return {base32[(days >> 5) & 31], base32[days & 31]};
}

std::optional<unsigned> timestamp_value(std::string_view text) {
  if (text.size() != 2) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    auto at = base32.find(text::ascii_upper(c));
    if (at == std::string_view::npos) return std::nullopt;
    value = (value << 5) | static_cast<unsigned>(at);
  }
  return value;
}

}  // namespace

bool is_srs_local_part(std::string_view local) {
  return local.size() > 5 && (text::iequals(local.substr(0, 5), "SRS0=") || text::iequals(local.substr(0, 5), "SRS1="));
}

Result<SrsKey> SrsKey::load_or_create(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (in) {
    std::string line;
    std::getline(in, line);
    std::string secret(text::trim(line));
    if (secret.empty()) return make_error(Errc::invalid, "the SRS secret file " + path.string() + " is empty");
    return SrsKey(std::move(secret));
  }
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    return make_error(Errc::internal, "no random octets for the SRS secret");
  std::string secret = base64::encode(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  const std::filesystem::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << secret << '\n';
    out.close();
    if (!out) return make_error(Errc::io, "cannot write the SRS secret " + temporary.string());
  }
  ::chmod(temporary.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return make_error(Errc::io, "cannot write the SRS secret " + path.string() + ": " + ec.message());
  return SrsKey(std::move(secret));
}

std::string SrsKey::hash(std::string_view ts, std::string_view domain, std::string_view local) const {
  std::string data = text::to_lower(ts);
  data += text::to_lower(domain);
  data += text::to_lower(local);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned length = 0;
  HMAC(EVP_sha1(), secret_.data(), static_cast<int>(secret_.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &length);
  return base64::encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length)).substr(0, hash_length);
}

std::string SrsKey::forward(std::string_view sender, std::string_view domain, std::int64_t now) const {
  auto at = sender.rfind('@');
  std::string_view local = sender.substr(0, at);
  std::string_view original_domain = at == std::string_view::npos ? std::string_view() : sender.substr(at + 1);
  const std::string ts = timestamp(now);
  return "SRS0=" + hash(ts, original_domain, local) + "=" + ts + "=" + std::string(original_domain) + "=" +
         std::string(local) + "@" + std::string(domain);
}

std::optional<std::string> SrsKey::reverse(std::string_view address, std::int64_t now) const {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view local = address.substr(0, at);
  if (!is_srs_local_part(local) || !text::iequals(local.substr(0, 4), "SRS0")) return std::nullopt;
  // SRS0=HHHH=TT=domain=local: the original local part may hold "=" itself.
  std::string_view rest = local.substr(5);
  auto next = [&rest]() -> std::optional<std::string_view> {
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view part = rest.substr(0, eq);
    rest.remove_prefix(eq + 1);
    return part;
  };
  auto hash_part = next();
  auto ts = next();
  auto domain = next();
  if (!hash_part || !ts || !domain || domain->empty() || rest.empty()) return std::nullopt;
  auto stamp = timestamp_value(*ts);
  if (!stamp) return std::nullopt;
  const auto today = static_cast<unsigned>((now / day) % 1024);
  const unsigned age = (today + 1024 - *stamp) % 1024;
  if (age > max_age_days) return std::nullopt;
  // Hashes compare without case: some MTAs fold local parts to lower case.
  if (!text::iequals(*hash_part, hash(*ts, *domain, rest))) return std::nullopt;
  return std::string(rest) + "@" + std::string(*domain);
}

}  // namespace tern::delivery
