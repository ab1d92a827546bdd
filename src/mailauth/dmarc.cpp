#include "mailauth/dmarc.hpp"

#include <libpsl.h>

#include "core/text.hpp"

namespace tern::dmarc {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::none: return "none";
    case Status::pass: return "pass";
    case Status::fail: return "fail";
    case Status::temperror: return "temperror";
    case Status::permerror: return "permerror";
  }
  return "permerror";
}

std::string_view disposition_name(Disposition disposition) {
  switch (disposition) {
    case Disposition::none: return "none";
    case Disposition::quarantine: return "quarantine";
    case Disposition::reject: return "reject";
  }
  return "none";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<Disposition> disposition(std::string_view value) {
  if (text::iequals(value, "none")) return Disposition::none;
  if (text::iequals(value, "quarantine")) return Disposition::quarantine;
  if (text::iequals(value, "reject")) return Disposition::reject;
  return std::nullopt;
}

std::vector<std::string> uris(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty() && out.size() < 10) {
    auto comma = value.find(',');
    std::string_view uri = trim(value.substr(0, comma));
    if (!uri.empty()) out.emplace_back(uri);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// The Public Suffix List: the newest one on the system (Debian's
// publicsuffix package), else the one built into libpsl.
const psl_ctx_t* suffix_list() {
  static const psl_ctx_t* list = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest != nullptr ? latest : psl_builtin();
  }();
  return list;
}

}  // namespace

::tern::Result<Record> parse_record(std::string_view txt) {
  Record record;
  bool first = true;
  while (true) {
    auto semi = txt.find(';');
    std::string_view tag = trim(txt.substr(0, semi));
    if (!tag.empty() || first) {
      auto eq = tag.find('=');
      std::string_view name = eq == std::string_view::npos ? tag : trim(tag.substr(0, eq));
      std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(tag.substr(eq + 1));
      if (first) {
        if (name != "v" || value != "DMARC1") return make_error(Errc::invalid, "not a DMARC record (v=DMARC1 first)");
        first = false;
      } else if (text::iequals(name, "p")) {
        record.policy = disposition(value).value_or(Disposition::none);
      } else if (text::iequals(name, "sp")) {
        record.subdomain_policy = disposition(value);
      } else if (text::iequals(name, "adkim")) {
        record.dkim = text::iequals(value, "s") ? Alignment::strict : Alignment::relaxed;
      } else if (text::iequals(name, "aspf")) {
        record.spf = text::iequals(value, "s") ? Alignment::strict : Alignment::relaxed;
      } else if (text::iequals(name, "pct")) {
        unsigned pct = 0;
        bool ok = !value.empty() && value.size() <= 3;
        for (char c : value) {
          ok = ok && c >= '0' && c <= '9';
          if (ok) pct = pct * 10 + static_cast<unsigned>(c - '0');
        }
        if (ok && pct <= 100) record.percent = pct;  // a bad pct= is ignored (RFC 7489 6.3: default 100)
      } else if (text::iequals(name, "rua")) {
        record.aggregate_uris = uris(value);
      } else if (text::iequals(name, "ruf")) {
        record.failure_uris = uris(value);
      }
      // Other tags (fo, rf, ri, np, psd, t) and unknown ones are ignored (RFC 7489 6.3).
    }
    if (semi == std::string_view::npos) break;
    txt.remove_prefix(semi + 1);
  }
  return record;
}

std::string organizational_domain(std::string_view domain) {
  std::string lower = text::to_lower(domain);
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  const char* registrable = psl_registrable_domain(suffix_list(), lower.c_str());
  return registrable != nullptr ? std::string(registrable) : lower;
}

bool aligned(std::string_view a, std::string_view b, Alignment mode) {
  if (a.empty() || b.empty()) return false;
  if (text::iequals(a, b)) return true;
  if (mode == Alignment::strict) return false;
  return organizational_domain(a) == organizational_domain(b);
}

}  // namespace tern::dmarc
