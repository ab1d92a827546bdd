// The forms in which the store keeps names: addresses with lower-case
// domains, mailbox names (RFC 9051 5.1: INBOX is case-insensitive), RFC 6154
// special-use attributes, and IMAP keywords (RFC 9051 2.3.2, 9: flag-keyword
// is an atom). Validation here is a last line of defence; the admin and
// protocol layers validate first and give the friendlier messages.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "core/text.hpp"
#include "store/sqlite/operations.hpp"

namespace tern::store::sqlite::ops {

namespace {

constexpr std::size_t max_address_length = 320;  // 64 + "@" + 255 (RFC 5321 4.5.3.1)
constexpr std::size_t max_domain_length = 255;
constexpr std::size_t max_mailbox_name_length = 1000;
constexpr std::size_t max_keyword_length = 200;


bool is_control_or_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

}  // namespace

UnixTime now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> canonical_domain(std::string_view name) {
  if (name.empty()) return make_error(Errc::invalid, "a domain name must not be empty");
  if (name.size() > max_domain_length) return make_error(Errc::invalid, "the domain name is too long");
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (is_control_or_space(c) || c == '@') {
      return make_error(Errc::invalid, fmt::format("\"{}\" is not a domain name", name));
    }
    out.push_back(text::ascii_lower(c));
  }
  return out;
}

Result<std::string> canonical_address(std::string_view address, bool allow_catch_all) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || address.size() > max_address_length) {
    return make_error(Errc::invalid, fmt::format("\"{}\" is not a mail address", address));
  }
  std::string_view local = address.substr(0, at);
  if (local.empty() && !allow_catch_all) {
    return make_error(Errc::invalid, fmt::format("\"{}\" has no local part", address));
  }
  for (char c : local) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return make_error(Errc::invalid, "a mail address must not contain control characters");
  }
  auto domain = canonical_domain(address.substr(at + 1));
  if (!domain) return make_error(Errc::invalid, fmt::format("\"{}\" is not a mail address", address));
  return std::string(local) + "@" + *domain;
}

std::string domain_of(std::string_view canonical) {
  auto at = canonical.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(canonical.substr(at + 1));
}

Result<std::string> canonical_mailbox_name(std::string_view name) {
  if (name.empty()) return make_error(Errc::invalid, "a mailbox name must not be empty");
  if (name.size() > max_mailbox_name_length) return make_error(Errc::invalid, "the mailbox name is too long");
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return make_error(Errc::invalid, "a mailbox name must not contain control characters");
    // LIST wildcards (RFC 9051 6.3.9) could never be listed by name.
    if (c == '*' || c == '%') return make_error(Errc::invalid, "a mailbox name must not contain '*' or '%'");
  }
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return make_error(Errc::invalid, fmt::format("\"{}\" has an empty hierarchy level", name));
  }
  if (text::iequals(name, "INBOX")) return std::string("INBOX");
  return std::string(name);
}

Result<void> check_special_use(std::string_view special_use) {
  static constexpr std::array<std::string_view, 8> known{
      "", "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"};
  if (std::find(known.begin(), known.end(), special_use) == known.end()) {
    return make_error(Errc::invalid, fmt::format("\"{}\" is not a special-use attribute of RFC 6154", special_use));
  }
  return {};
}

Result<std::vector<std::string>> normalize_keywords(const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  out.reserve(keywords.size());
  for (const auto& keyword : keywords) {
    if (keyword.empty() || keyword.size() > max_keyword_length || keyword.front() == '\\') {
      return make_error(Errc::invalid, fmt::format("\"{}\" is not a keyword", keyword));
    }
    for (char c : keyword) {
      // atom-specials (RFC 9051 9): ( ) { SP CTL % * " \ ]
      if (is_control_or_space(c) || std::string_view("(){%*\"\\]").find(c) != std::string_view::npos) {
        return make_error(Errc::invalid, fmt::format("\"{}\" is not a keyword", keyword));
      }
    }
    out.push_back(keyword);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string join_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (const auto& keyword : keywords) {
    if (!out.empty()) out.push_back(' ');
    out += keyword;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    auto space = joined.find(' ');
    auto word = joined.substr(0, space);
    if (!word.empty()) out.emplace_back(word);
    if (space == std::string_view::npos) break;
    joined.remove_prefix(space + 1);
  }
  return out;
}

Result<void> check_flags(std::uint32_t flags) {
  constexpr std::uint32_t all = flag::seen | flag::answered | flag::flagged | flag::deleted | flag::draft;
  if ((flags & ~all) != 0) return make_error(Errc::invalid, fmt::format("unknown flag bits {:#x}", flags & ~all));
  return {};
}

}  // namespace tern::store::sqlite::ops
