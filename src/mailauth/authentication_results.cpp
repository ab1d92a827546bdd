#include "mailauth/authentication_results.hpp"

#include <fmt/format.h>

#include "core/text.hpp"

namespace tern::mailauth {

namespace {

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '+' || c == '/' || c == '=';
}

// A pvalue (RFC 8601 2.2): a token as it is, anything else quoted.
std::string value(std::string_view text) {
  bool plain = !text.empty();
  for (char c : text) plain = plain && token_char(c);
  if (plain) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// A comment's text: printable ASCII, no parentheses or backslash.
std::string comment(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '\\') ? '?' : c;
  }
  return out;
}

}  // namespace

std::string authentication_results(std::string_view authserv_id, std::span<const dkim::Verdict> dkim,
                                   const spf::Verdict* spf, const dmarc::Verdict* dmarc) {
  std::string out = fmt::format("Authentication-Results: {}", authserv_id);
  if (dkim.empty()) out += ";\r\n\tdkim=none";
  for (const auto& v : dkim) {
    out += ";\r\n\tdkim=";
    out += dkim::status_name(v.status);
    if (v.status == dkim::Status::pass && v.bits > 0) out += fmt::format(" ({}-bit key)", v.bits);
    else if (!v.reason.empty()) out += " (" + comment(v.reason) + ")";
    if (!v.domain.empty()) out += " header.d=" + value(v.domain);
    if (!v.identity.empty()) out += " header.i=" + value(v.identity);
    if (!v.selector.empty()) out += " header.s=" + value(v.selector);
    if (!v.algorithm.empty()) out += " header.a=" + value(v.algorithm);
    if (!v.b_prefix.empty()) out += " header.b=" + value(v.b_prefix);
  }
  if (spf != nullptr) {
    out += ";\r\n\tspf=";
    out += spf::status_name(spf->status);
    std::string why;
    switch (spf->status) {
      case spf::Status::pass: why = fmt::format("{} is permitted by {}", spf->client, spf->domain); break;
      case spf::Status::fail:
      case spf::Status::softfail: why = fmt::format("{} is not permitted by {}", spf->client, spf->domain); break;
      default: why = spf->mechanism; break;
    }
    if (!why.empty()) out += " (" + comment(why) + ")";
    if (spf->helo) out += " smtp.helo=" + value(spf->domain);
    else out += " smtp.mailfrom=" + value(spf->sender);
  }
  if (dmarc != nullptr) {
    out += ";\r\n\tdmarc=";
    out += dmarc::status_name(dmarc->status);
    if (!dmarc->policy_domain.empty()) {
      out += fmt::format(" (p={} dis={})", dmarc::disposition_name(dmarc->policy),
                         dmarc::disposition_name(dmarc->applied));
    } else if (!dmarc->reason.empty()) {
      out += " (" + comment(dmarc->reason) + ")";
    }
    if (!dmarc->from_domain.empty()) out += " header.from=" + value(dmarc->from_domain);
  }
  return out + "\r\n";
}

std::string authserv_id_of(std::string_view field_value) {
  std::string id;
  int depth = 0;
  for (char c : field_value) {
    if (c == ';') break;
    if (c == '(') {
      ++depth;
      continue;
    }
    if (c == ')') {
      if (depth > 0) --depth;
      continue;
    }
    if (depth > 0) continue;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!id.empty()) break;  // a version number may follow
      continue;
    }
    id += c;
  }
  return text::to_lower(id);
}

}  // namespace tern::mailauth
