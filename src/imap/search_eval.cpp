// SEARCH evaluation (RFC 9051 6.4.4; RECENT, NEW, OLD from RFC 3501 6.4.4;
// MODSEQ from RFC 7162 3.1.5; "$" from RFC 5182).
//
// String keys are case-insensitive substring matches on UTF-8 text: both
// sides go through simple case folding (fold_code_point below) and are then
// compared octet by octet, which is a code-point substring match because
// folding maps code points to code points and UTF-8 is self-synchronizing.
// Header keys look only at the message's own header (parts[0]), every
// occurrence of the field, each value unfolded and RFC 2047-decoded; runs of
// white space count as one space on both sides (folded header lines keep
// their tabs, a client types spaces). As in Dovecot, an empty string matches
// every message that has the field at all.
//
// Dates (RFC 9051 6.4.4 "disregarding time and timezone"): BEFORE/ON/SINCE
// use INTERNALDATE as a calendar day in SearchScope::timezone_minutes;
// SENT* use the first Date: field's day as written in the field, whatever
// its zone. Without a parsable Date: field the INTERNALDATE's day stands in,
// as RFC 5256 2.2 prescribes for the sent date of SORT (Dovecot instead
// dates such a message 01-Jan-1970).
//
// Robustness: any structure is accepted. A missing structure, one without
// parts, or one whose offsets do not fit the bytes, is replaced by the
// simplest reading of the bytes: a header up to the first empty line, then an
// undecoded body.
#include "imap/search_eval.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include "core/text.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/text.hpp"
#include "store/types.hpp"

namespace tern::imap {

namespace {

using Kind = SearchKey::Kind;

// ---- case folding ----

// Simple case folding (Unicode CaseFolding.txt, status C and S) for ASCII,
// Latin-1, Latin Extended-A, the regular runs of Latin Extended-B and
// Extended Additional, Greek, Cyrillic, Armenian and the full-width Latin
// letters. Other code points are left as they are.
char32_t fold_code_point(char32_t c) {
  auto pair_even = [c](char32_t first, char32_t last) { return c >= first && c <= last && (c - first) % 2 == 0; };
  if (c < 0x80) return static_cast<char32_t>(text::ascii_lower(static_cast<char>(c)));
  if (c < 0x100) {
    if (c == 0xB5) return 0x3BC;  // MICRO SIGN -> GREEK SMALL LETTER MU
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    return c;
  }
  if (c < 0x180) {
    if (c == 0x178) return 0xFF;
    if (c == 0x17F) return 's';  // LATIN SMALL LETTER LONG S
    if (pair_even(0x100, 0x12F) || pair_even(0x132, 0x137) || pair_even(0x14A, 0x177)) return c + 1;
    if ((c >= 0x139 && c <= 0x148 && c % 2 == 1) || (c >= 0x179 && c <= 0x17E && c % 2 == 1)) return c + 1;
    return c;  // U+0130 and U+0131 only fold under the Turkic rules
  }
  if (c < 0x250) {
    if ((c >= 0x1CD && c <= 0x1DC && c % 2 == 1) || pair_even(0x1DE, 0x1EF) || pair_even(0x1F8, 0x21F) ||
        pair_even(0x222, 0x233))
      return c + 1;
    return c;
  }
  if (c >= 0x370 && c < 0x400) {
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 0x25;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 0x3F;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 0x20;
    if (c == 0x3C2) return 0x3C3;  // final sigma
    if (pair_even(0x3D8, 0x3EF)) return c + 1;
    return c;
  }
  if (c == 0x345) return 0x3B9;
  if (c >= 0x400 && c < 0x530) {
    if (c <= 0x40F) return c + 0x50;
    if (c <= 0x42F) return c + 0x20;
    if (pair_even(0x460, 0x481) || pair_even(0x48A, 0x4BF) || pair_even(0x4D0, 0x52F)) return c + 1;
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x4C1 && c <= 0x4CE && c % 2 == 1) return c + 1;
    return c;
  }
  if (c >= 0x531 && c <= 0x556) return c + 0x30;  // Armenian
  if (c >= 0x1E00 && c <= 0x1EFF) {
    if (c == 0x1E9E) return 0xDF;  // CAPITAL SHARP S
    if (pair_even(0x1E00, 0x1E95) || pair_even(0x1EA0, 0x1EFF)) return c + 1;
    return c;
  }
  if (c == 0x2126) return 0x3C9;  // OHM SIGN
  if (c == 0x212A) return 'k';    // KELVIN SIGN
  if (c == 0x212B) return 0xE5;   // ANGSTROM SIGN
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Case-folds UTF-8 text. Octets that do not start a well-formed sequence are
// copied unchanged, so folding never loses or invents text.
std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(text::ascii_lower(text[i]));
      ++i;
      continue;
    }
    std::size_t length = (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    char32_t c = length == 2 ? lead & 0x1Fu : length == 3 ? lead & 0x0Fu : lead & 0x07u;
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) ok = false;
      c = (c << 6) | (next & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not folded.
    static constexpr char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!ok || c < minimum[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    append_utf8(out, fold_code_point(c));
    i += length;
  }
  return out;
}

// Runs of white space (SP, HTAB, CR, LF) become one space.
std::string compress_white_space(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (space && in_space) continue;
    out.push_back(space ? ' ' : c);
    in_space = space;
  }
  return out;
}

// Whether `needle` occurs in `haystack` (both folded). Long needles use
// Boyer-Moore, so a large needle over a large body stays linear.
bool contains_text(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  if (needle.size() < 32) return haystack.find(needle) != std::string_view::npos;
  const std::boyer_moore_searcher searcher(needle.begin(), needle.end());
  return std::search(haystack.begin(), haystack.end(), searcher) != haystack.end();
}

// ---- dates ----

std::int64_t day_of_key(const Date& date) {
  const auto month = static_cast<unsigned>(std::clamp(date.month, 1, 12));
  const auto day = static_cast<unsigned>(std::clamp(date.day, 1, 31));
  return text::days_from_civil(date.year, month, day);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The calendar day of a Unix time seen from `offset_minutes` east of UTC.
std::int64_t day_of_time(std::int64_t seconds, int offset_minutes) {
  std::int64_t local = 0;
  if (__builtin_add_overflow(seconds, static_cast<std::int64_t>(offset_minutes) * 60, &local))
    local = seconds < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  return floor_div(local, 86400);
}

// The day of an RFC 5322 date-time as written in it, its zone disregarded;
// nullopt when mime::parse_date cannot read it.
std::optional<std::int64_t> written_day(std::string_view value) {
  const auto utc = mime::parse_date(value);
  if (!utc) return std::nullopt;
  // The text up to the end of the time of day, read without its zone, gives
  // the date and time as written.
  const std::size_t colon = value.find(':');
  if (colon != std::string_view::npos) {
    const std::size_t end = value.find_first_of(" \t\r\n,(", colon);
    if (auto local = mime::parse_date(value.substr(0, end))) return floor_div(*local, 86400);
  }
  return floor_div(*utc, 86400);
}

bool compare_day(Kind kind, std::int64_t day, std::int64_t key_day) {
  switch (kind) {
    case Kind::before:
    case Kind::sentbefore: return day < key_day;
    case Kind::on:
    case Kind::senton: return day == key_day;
    default: return day >= key_day;  // since, sentsince
  }
}

// ---- one evaluation ----

bool has_colon(const mime::RawField& field) {
  // split_fields gives a line without a colon a name and an empty value that
  // starts right after the line's last octet; a real field's value starts
  // right after its colon.
  return field.value.data() != nullptr && field.value.data() > field.name.data() && field.value.data()[-1] == ':';
}

bool fits(std::uint64_t offset, std::uint64_t size, std::size_t total) {
  return offset <= total && size <= total - offset;
}

// The parts of a message, checked against its bytes, and what the keys
// derive from them, each computed at most once per matches() call.
class Evaluation {
 public:
  Evaluation(const SearchScope& scope, const SearchCandidate& candidate) : scope_(scope), candidate_(candidate) {}

  bool match(const SearchKey& key) {
    switch (key.kind) {
      case Kind::all_of:
        return match_children(key, true);
      case Kind::or_:
        return match_children(key, false);
      case Kind::not_:
        return !match_children(key, true);
      case Kind::all: return true;
      case Kind::answered: return has_flag(store::flag::answered);
      case Kind::deleted: return has_flag(store::flag::deleted);
      case Kind::draft: return has_flag(store::flag::draft);
      case Kind::flagged: return has_flag(store::flag::flagged);
      case Kind::seen: return has_flag(store::flag::seen);
      case Kind::unanswered: return !has_flag(store::flag::answered);
      case Kind::undeleted: return !has_flag(store::flag::deleted);
      case Kind::undraft: return !has_flag(store::flag::draft);
      case Kind::unflagged: return !has_flag(store::flag::flagged);
      case Kind::unseen: return !has_flag(store::flag::seen);
      case Kind::recent: return candidate_.recent;
      case Kind::new_: return candidate_.recent && !has_flag(store::flag::seen);  // RFC 3501 6.4.4
      case Kind::old: return !candidate_.recent;
      case Kind::keyword: return has_keyword(key.field);
      case Kind::unkeyword: return !has_keyword(key.field);
      case Kind::larger: return candidate_.size > key.number;
      case Kind::smaller: return candidate_.size < key.number;
      case Kind::modseq: return candidate_.modseq >= key.number;  // RFC 7162 3.1.5
      case Kind::uid: return in_set(key.set, candidate_.uid, scope_.max_uid);
      case Kind::sequence_set: return in_set(key.set, candidate_.seq, scope_.max_seq);
      case Kind::before:
      case Kind::on:
      case Kind::since:
        return compare_day(key.kind, day_of_time(candidate_.internal_date, scope_.timezone_minutes),
                           day_of_key(key.date));
      case Kind::sentbefore:
      case Kind::senton:
      case Kind::sentsince: return compare_day(key.kind, sent_day(), day_of_key(key.date));
      case Kind::from: return header_matches("From", key.value);
      case Kind::to: return header_matches("To", key.value);
      case Kind::cc: return header_matches("Cc", key.value);
      case Kind::bcc: return header_matches("Bcc", key.value);
      case Kind::subject: return header_matches("Subject", key.value);
      case Kind::header: return header_matches(key.field, key.value);
      case Kind::body: return key.value.empty() || contains_text(body_text(), fold(key.value));
      case Kind::text: return key.value.empty() || contains_text(full_text(), fold(key.value));
    }
    return false;
  }

 private:
  // AND (`all`) or OR of the children; the keys that need no message bytes go
  // first, so that they can decide before any text is decoded.
  bool match_children(const SearchKey& key, bool all) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const SearchKey& child : key.children) {
        if (needs_message(child) != (pass == 1)) continue;
        if (match(child) != all) return !all;
      }
    }
    return all;
  }

  bool has_flag(std::uint32_t bit) const { return (candidate_.flags & bit) != 0; }

  bool has_keyword(std::string_view keyword) const {
    if (candidate_.keywords == nullptr) return false;
    return std::any_of(candidate_.keywords->begin(), candidate_.keywords->end(),
                       [keyword](const std::string& k) { return text::iequals(k, keyword); });
  }

  bool in_set(const SequenceSet& set, std::uint32_t number, std::uint32_t largest) const {
    // "$" holds UIDs whichever way it is used (RFC 5182 2.1).
    if (set.saved) return std::binary_search(scope_.saved_uids.begin(), scope_.saved_uids.end(), candidate_.uid);
    return contains(set, number, largest);
  }

  // Whether the structure describes these bytes; a structure that does not
  // is not used (see the file comment).
  bool structure_usable() {
    if (!structure_checked_) {
      structure_checked_ = true;
      const mime::MessageStructure* s = candidate_.structure;
      structure_ok_ = s != nullptr && !s->parts.empty();
      const std::size_t total = candidate_.data.size();
      for (std::size_t i = 0; structure_ok_ && i < s->parts.size(); ++i) {
        const mime::PartInfo& p = s->parts[i];
        structure_ok_ = fits(p.header_offset, p.header_size, total) && fits(p.body_offset, p.body_size, total);
      }
    }
    return structure_ok_;
  }

  std::string_view header() {
    if (structure_usable()) {
      const mime::PartInfo& top = candidate_.structure->parts[0];
      return candidate_.data.substr(static_cast<std::size_t>(top.header_offset),
                                    static_cast<std::size_t>(top.header_size));
    }
    return candidate_.data.substr(0, mime::header_size(candidate_.data));
  }

  const std::vector<mime::RawField>& fields() {
    if (!fields_) {
      fields_.emplace();
      for (const mime::RawField& f : mime::split_fields(header()))
        if (has_colon(f)) fields_->push_back(f);
    }
    return *fields_;
  }

  bool header_matches(std::string_view name, std::string_view value) {
    const std::string needle = value.empty() ? std::string() : compress_white_space(fold(value));
    for (const mime::RawField& f : fields()) {
      if (!text::iequals(f.name, name)) continue;
      if (needle.empty()) return true;  // the field is there
      const std::string text = compress_white_space(fold(mime::decode_header_value(mime::unfold(f.value))));
      if (contains_text(text, needle)) return true;
    }
    return false;
  }

  std::int64_t sent_day() {
    for (const mime::RawField& f : fields()) {
      if (!text::iequals(f.name, "Date")) continue;
      if (auto day = written_day(mime::unfold(f.value))) return *day;
      break;  // the first Date field decides
    }
    return day_of_time(candidate_.internal_date, scope_.timezone_minutes);
  }

  // The body when the structure is not usable: everything after the header,
  // undecoded, as UTF-8.
  std::string raw_body() {
    const std::size_t offset = mime::header_size(candidate_.data);
    return mime::to_utf8(candidate_.data.substr(offset), "utf-8");
  }

  const std::string& body_text() {
    if (!body_text_) {
      body_text_ = fold(structure_usable() ? mime::message_text(candidate_.data, candidate_.structure->parts, false)
                                           : raw_body());
    }
    return *body_text_;
  }

  const std::string& full_text() {
    if (!full_text_) {
      std::string text;
      if (structure_usable()) {
        text = mime::message_text(candidate_.data, candidate_.structure->parts, true);
      } else {
        for (const mime::RawField& f : fields()) {
          text.append(f.name);
          text += ": ";
          text += mime::decode_header_value(mime::unfold(f.value));
          text += '\n';
        }
        text += raw_body();
      }
      full_text_ = fold(text);
    }
    return *full_text_;
  }

  const SearchScope& scope_;
  const SearchCandidate& candidate_;
  bool structure_checked_ = false;
  bool structure_ok_ = false;
  std::optional<std::vector<mime::RawField>> fields_;
  std::optional<std::string> body_text_;
  std::optional<std::string> full_text_;
};

}  // namespace

bool needs_message(const SearchKey& key) {
  switch (key.kind) {
    case Kind::bcc:
    case Kind::body:
    case Kind::cc:
    case Kind::from:
    case Kind::header:
    case Kind::sentbefore:
    case Kind::senton:
    case Kind::sentsince:
    case Kind::subject:
    case Kind::text:
    case Kind::to: return true;
    default: break;
  }
  return std::any_of(key.children.begin(), key.children.end(),
                     [](const SearchKey& child) { return needs_message(child); });
}

bool needs_body(const SearchKey& key) {
  if (key.kind == Kind::body || key.kind == Kind::text) return true;
  return std::any_of(key.children.begin(), key.children.end(),
                     [](const SearchKey& child) { return needs_body(child); });
}

bool matches(const SearchKey& key, const SearchScope& scope, const SearchCandidate& candidate) {
  Evaluation evaluation(scope, candidate);
  return evaluation.match(key);
}

}  // namespace tern::imap
