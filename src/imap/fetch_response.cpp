// FETCH responses. See fetch_response.hpp.
#include "imap/fetch_response.hpp"

#include <algorithm>

#include <ctime>

#include "imap/protocol/response.hpp"
#include "mime/imap_format.hpp"
#include "mime/section.hpp"

namespace tern::imap {
namespace {

using Kind = FetchItem::Kind;

std::string join_path(const std::vector<std::uint32_t>& path) {
  std::string out;
  for (std::uint32_t n : path) {
    if (!out.empty()) out += '.';
    out += std::to_string(n);
  }
  return out;
}

void append_literal(std::string& out, std::string_view data, bool binary) {
  out += binary ? "~{" : "{";
  out += std::to_string(data.size());
  out += "}\r\n";
  out += data;
}

std::string internal_date(store::UnixTime t) {
  std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  DateTime dt;
  dt.date = Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
  dt.hour = tm.tm_hour;
  dt.minute = tm.tm_min;
  dt.second = tm.tm_sec;
  return format_date_time(dt);
}

std::string_view header_of(std::string_view data, const mime::MessageStructure& s) {
  if (s.parts.empty()) return data;
  const auto& p = s.parts[0];
  if (p.header_offset > data.size()) return {};
  return data.substr(p.header_offset, std::min<std::uint64_t>(p.header_size, data.size() - p.header_offset));
}

std::string_view body_of(std::string_view data, const mime::MessageStructure& s) {
  if (s.parts.empty()) return {};
  const auto& p = s.parts[0];
  if (p.body_offset > data.size()) return {};
  return data.substr(p.body_offset, std::min<std::uint64_t>(p.body_size, data.size() - p.body_offset));
}

// The octets a section names, as a range of the stored message; nullopt
// for HEADER.FIELDS (not a range) or a part that does not exist.
struct Range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
std::optional<Range> section_range(const mime::MessageStructure& s, const mime::SectionSpec& spec) {
  using Text = mime::SectionSpec::Text;
  auto index = mime::resolve_part(s.parts, spec.path);
  if (!index) return std::nullopt;
  const mime::PartInfo* p = &s.parts[*index];
  switch (spec.text) {
    case Text::none:
      if (spec.path.empty()) return Range{0, s.size};
      return Range{p->body_offset, p->body_size};
    case Text::mime: return Range{p->header_offset, p->header_size};
    case Text::header:
    case Text::text:
      if (!spec.path.empty() && p->kind == mime::PartKind::message) p = &s.parts[*index + 1];
      if (spec.text == Text::header) return Range{p->header_offset, p->header_size};
      return Range{p->body_offset, p->body_size};
    default: return std::nullopt;
  }
}

}  // namespace

bool streamable(const std::vector<FetchItem>& items) {
  using Text = mime::SectionSpec::Text;
  for (const FetchItem& item : items) {
    if (item.kind == Kind::binary || item.kind == Kind::binary_size) return false;
    if (item.kind == Kind::body_section && !item.section.path.empty() &&
        (item.section.text == Text::header_fields || item.section.text == Text::header_fields_not))
      return false;
  }
  return true;
}

FetchNeeds fetch_needs(const std::vector<FetchItem>& items) {
  FetchNeeds needs;
  for (const FetchItem& item : items) {
    switch (item.kind) {
      case Kind::envelope:
      case Kind::body:
      case Kind::bodystructure:
        needs.message = true;
        break;
      case Kind::rfc822_header:
      case Kind::binary_size:
        needs.message = needs.bytes = true;
        break;
      case Kind::rfc822:
      case Kind::rfc822_text:
        needs.message = needs.bytes = true;
        needs.sets_seen = true;
        break;
      case Kind::body_section:
      case Kind::binary:
        needs.message = needs.bytes = true;
        if (!item.peek) needs.sets_seen = true;
        break;
      case Kind::modseq:
        needs.modseq = true;
        break;
      default:
        break;
    }
  }
  return needs;
}

std::string format_section(const mime::SectionSpec& section) {
  using Text = mime::SectionSpec::Text;
  std::string out = join_path(section.path);
  auto text = [&](std::string_view word) {
    if (!out.empty()) out += '.';
    out += word;
  };
  switch (section.text) {
    case Text::none: break;
    case Text::header: text("HEADER"); break;
    case Text::text: text("TEXT"); break;
    case Text::mime: text("MIME"); break;
    case Text::header_fields:
    case Text::header_fields_not: {
      text(section.text == Text::header_fields ? "HEADER.FIELDS" : "HEADER.FIELDS.NOT");
      out += " (";
      for (std::size_t i = 0; i < section.fields.size(); ++i) {
        if (i) out += ' ';
        out += format_astring(section.fields[i]);
      }
      out += ')';
      break;
    }
  }
  return out;
}

FetchOutput render_fetch(const std::vector<FetchItem>& items, const FetchInput& in) {
  FetchOutput result;
  const ViewEntry& entry = *in.entry;
  std::string body;
  bool has_uid = false, has_flags = false, has_modseq = false;
  auto item_sep = [&] {
    if (!body.empty()) body += ' ';
  };
  const mime::MessageStructure* s = in.structure;
  static const mime::MessageStructure empty_structure{};
  if (!s) s = &empty_structure;
  // A literal of the message's octets [offset, offset + length) of a
  // streamed message: copied when `data` holds them, spliced otherwise.
  auto literal_range = [&](Range range, bool replace_nul) {
    if (range.offset + range.length <= in.data.size()) {
      std::string copy(in.data.substr(static_cast<std::size_t>(range.offset), static_cast<std::size_t>(range.length)));
      if (replace_nul) std::replace(copy.begin(), copy.end(), '\0', static_cast<char>(0x80));
      append_literal(body, copy, false);
      return;
    }
    body += "{" + std::to_string(range.length) + "}\r\n";
    result.splices.push_back(Splice{body.size(), range.offset, range.length, replace_nul});
  };
  for (const FetchItem& item : items) {
    switch (item.kind) {
      case Kind::uid:
        if (has_uid) break;
        has_uid = true;
        item_sep();
        body += "UID " + std::to_string(entry.uid);
        break;
      case Kind::flags:
        if (has_flags) break;
        has_flags = true;
        item_sep();
        body += "FLAGS " + format_flags(entry.flags, entry.keywords, in.recent && entry.recent);
        break;
      case Kind::modseq:
        if (has_modseq) break;
        has_modseq = true;
        item_sep();
        body += "MODSEQ (" + std::to_string(entry.modseq) + ")";
        break;
      case Kind::internaldate:
        item_sep();
        body += "INTERNALDATE " + internal_date(entry.internal_date);
        break;
      case Kind::rfc822_size:
        item_sep();
        body += "RFC822.SIZE " + std::to_string(entry.size);
        break;
      case Kind::envelope:
        item_sep();
        body += "ENVELOPE " + s->envelope;
        break;
      case Kind::body:
        item_sep();
        body += "BODY " + s->body;
        break;
      case Kind::bodystructure:
        item_sep();
        body += "BODYSTRUCTURE " + s->bodystructure;
        break;
      case Kind::rfc822:
        item_sep();
        body += "RFC822 ";
        if (in.streamed) {
          literal_range(Range{0, s->size}, false);
          break;
        }
        append_literal(body, in.data, false);
        break;
      case Kind::rfc822_header:
        item_sep();
        body += "RFC822.HEADER ";
        append_literal(body, header_of(in.data, *s), false);
        break;
      case Kind::rfc822_text:
        item_sep();
        body += "RFC822.TEXT ";
        if (in.streamed) {
          if (!s->parts.empty()) literal_range(Range{s->parts[0].body_offset, s->parts[0].body_size}, false);
          else body += "\"\"";
          break;
        }
        append_literal(body, body_of(in.data, *s), false);
        break;
      case Kind::body_section: {
        item_sep();
        body += "BODY[" + format_section(item.section) + "]";
        if (in.streamed) {
          if (auto range = section_range(*s, item.section)) {
            if (item.partial) {
              body += "<" + std::to_string(item.partial->first) + ">";
              const std::uint64_t start = std::min<std::uint64_t>(item.partial->first, range->length);
              range->offset += start;
              range->length = std::min<std::uint64_t>(item.partial->second, range->length - start);
            }
            body += ' ';
            literal_range(*range, true);
            break;
          }
          // HEADER.FIELDS of the top-level header: `data` holds that header.
        }
        auto section = mime::fetch_section(in.data, s->parts, item.section);
        if (!section) {
          if (item.partial) body += "<" + std::to_string(item.partial->first) + ">";
          body += " \"\"";
          break;
        }
        std::string_view data = *section;
        if (item.partial) {
          body += "<" + std::to_string(item.partial->first) + ">";
          data = mime::apply_partial(data, item.partial->first, item.partial->second);
        }
        body += ' ';
        append_literal(body, data, false);
        break;
      }
      case Kind::binary:
      case Kind::binary_size: {
        auto binary = mime::fetch_binary(in.data, s->parts, item.part);
        using St = mime::BinaryResult::Status;
        // The item is left out and the command ends in NO (Dovecot's
        // behaviour; the other items are still answered).
        if (binary.status == St::unknown_encoding) {
          result.error_code = "UNKNOWN-CTE";
          break;
        }
        if (binary.status == St::parse_error) {
          result.error_code = "PARSE";
          break;
        }
        item_sep();
        if (item.kind == Kind::binary_size) {
          body += "BINARY.SIZE[" + join_path(item.part) + "] " +
                  std::to_string(binary.status == St::ok ? binary.data.size() : 0);
          break;
        }
        body += "BINARY[" + join_path(item.part) + "]";
        if (binary.status == St::no_such_part) {
          if (item.partial) body += "<" + std::to_string(item.partial->first) + ">";
          body += " \"\"";
          break;
        }
        std::string_view data = binary.data;
        if (item.partial) {
          body += "<" + std::to_string(item.partial->first) + ">";
          data = mime::apply_partial(data, item.partial->first, item.partial->second);
        }
        body += ' ';
        append_literal(body, data, binary.needs_literal8 || data.find('\0') != std::string_view::npos);
        break;
      }
    }
  }
  if (in.add_flags && !has_flags) {
    item_sep();
    body += "FLAGS " + format_flags(entry.flags, entry.keywords, in.recent && entry.recent);
  }
  if (in.add_uid && !has_uid) {
    item_sep();
    body += "UID " + std::to_string(entry.uid);
  }
  if (in.add_modseq && !has_modseq) {
    item_sep();
    body += "MODSEQ (" + std::to_string(entry.modseq) + ")";
  }
  result.response = "* " + std::to_string(in.seq) + " FETCH (";
  for (Splice& splice : result.splices) splice.at += result.response.size();
  result.response += body;
  result.response += ")\r\n";
  return result;
}

}  // namespace tern::imap
