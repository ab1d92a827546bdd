#include "imap/commands/list_match.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace tern::imap {

std::string combine_reference(std::string_view reference, std::string_view pattern) {
  if (reference.empty() || (!pattern.empty() && pattern[0] == '/')) return std::string(pattern);
  std::string out(reference);
  if (out.back() != '/' && !pattern.empty()) out += '/';
  out += pattern;
  return out;
}

namespace {

bool inbox_prefix(std::string_view s) {
  return text::istarts_with(s, "INBOX") && (s.size() == 5 || s[5] == '/');
}

}  // namespace

bool pattern_matches(std::string_view pattern, std::string_view name) {
  std::string p(pattern);
  // "inbox" in any case names INBOX (RFC 9051 5.1).
  if (inbox_prefix(p) && name.substr(0, 5) == "INBOX") p.replace(0, 5, "INBOX");
  // Dynamic programming over (pattern position, name position): linear in
  // their product, whatever the wildcards.
  const std::size_t n = name.size();
  std::vector<char> row(n + 1, 0), next(n + 1, 0);
  row[0] = 1;
  for (char pc : p) {
    std::fill(next.begin(), next.end(), 0);
    if (pc == '*' || pc == '%') {
      bool reach = false;
      for (std::size_t j = 0; j <= n; ++j) {
        if (row[j]) reach = true;
        if (reach) next[j] = 1;
        if (pc == '%' && j < n && name[j] == '/') reach = false;
      }
    } else {
      for (std::size_t j = 0; j < n; ++j)
        if (row[j] && name[j] == pc) next[j + 1] = 1;
    }
    row.swap(next);
  }
  return row[n] != 0;
}

bool has_children(const std::vector<store::Mailbox>& all, std::string_view name) {
  for (const store::Mailbox& m : all)
    if (m.name.size() > name.size() + 1 && m.name.compare(0, name.size(), name) == 0 && m.name[name.size()] == '/')
      return true;
  return false;
}

bool has_subscribed_child(const std::vector<store::Mailbox>& all, std::string_view name) {
  for (const store::Mailbox& m : all)
    if (m.subscribed && m.name.size() > name.size() + 1 && m.name.compare(0, name.size(), name) == 0 &&
        m.name[name.size()] == '/')
      return true;
  return false;
}

std::vector<store::Mailbox> ordered(const std::vector<store::Mailbox>& all) {
  std::vector<store::Mailbox> out = all;
  std::stable_sort(out.begin(), out.end(), [](const store::Mailbox& a, const store::Mailbox& b) {
    if ((a.name == "INBOX") != (b.name == "INBOX")) return a.name == "INBOX";
    return a.name < b.name;
  });
  return out;
}

}  // namespace tern::imap
