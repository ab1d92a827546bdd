#include "mime/section.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"
#include "mime/decode.hpp"
#include "mime/text.hpp"

namespace tern::mime {

std::optional<SectionSpec> parse_section(std::string_view text) {
  SectionSpec spec;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    std::uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + static_cast<std::uint64_t>(text[i++] - '0');
      if (n > 0xffffffffu) return std::nullopt;
    }
    if (n == 0) return std::nullopt;
    spec.path.push_back(static_cast<std::uint32_t>(n));
    if (i == text.size()) return spec;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
  std::string_view rest = text.substr(i);
  std::string word = text::to_upper(rest.substr(0, rest.find(' ')));
  if (rest.empty()) return spec;
  if (word == "HEADER" && rest.size() == 6) spec.text = SectionSpec::Text::header;
  else if (word == "TEXT" && rest.size() == 4) spec.text = SectionSpec::Text::text;
  else if (word == "MIME" && rest.size() == 4 && !spec.path.empty()) spec.text = SectionSpec::Text::mime;
  else if (word == "HEADER.FIELDS" || word == "HEADER.FIELDS.NOT") {
    spec.text = word == "HEADER.FIELDS" ? SectionSpec::Text::header_fields : SectionSpec::Text::header_fields_not;
    std::string_view list = rest.substr(word.size());
    list = text::trim_left(list, " ");
    if (list.size() < 2 || list.front() != '(' || list.back() != ')') return std::nullopt;
    list = list.substr(1, list.size() - 2);
    while (!list.empty()) {
      std::size_t sp = list.find(' ');
      std::string_view name = list.substr(0, sp);
      if (!name.empty()) {
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        spec.fields.emplace_back(name);
      }
      if (sp == std::string_view::npos) break;
      list.remove_prefix(sp + 1);
    }
    if (spec.fields.empty()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return spec;
}

std::optional<std::uint32_t> resolve_part(const std::vector<PartInfo>& parts, const std::vector<std::uint32_t>& path) {
  if (parts.empty()) return std::nullopt;
  std::uint32_t cur = 0;
  bool first = true;
  for (std::uint32_t n : path) {
    // Below the top, a message/rfc822 part's numbers are those of the
    // embedded message (RFC 9051 6.4.5: "1.2" of an encapsulated message).
    if (!first && parts[cur].kind == PartKind::message) cur = cur + 1;
    first = false;
    if (parts[cur].kind == PartKind::multipart) {
      auto kids = children_of(parts, cur);
      if (n > kids.size()) return std::nullopt;
      cur = kids[n - 1];
    } else if (n != 1) {
      return std::nullopt;
    }
  }
  return cur;
}

namespace {

std::string header_fields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  for (const RawField& f : split_fields(header)) {
    const bool listed =
        std::any_of(names.begin(), names.end(), [&](const std::string& n) { return text::iequals(n, f.name); });
    if (listed == exclude) continue;
    std::string_view bytes = header.substr(f.offset, f.size);
    out += bytes;
    if (!bytes.ends_with('\n')) out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace

std::optional<std::string> fetch_section(std::string_view message, const std::vector<PartInfo>& parts,
                                         const SectionSpec& spec) {
  auto index = resolve_part(parts, spec.path);
  if (!index) return std::nullopt;
  const PartInfo* p = &parts[*index];
  std::string out;
  using Text = SectionSpec::Text;
  if (spec.text == Text::none) {
    out = spec.path.empty() ? std::string(message) : std::string(message.substr(p->body_offset, p->body_size));
  } else if (spec.text == Text::mime) {
    out = std::string(message.substr(p->header_offset, p->header_size));
  } else {
    // HEADER / TEXT of a message/rfc822 part are those of the embedded message.
    if (!spec.path.empty() && p->kind == PartKind::message) p = &parts[*index + 1];
    std::string_view header = message.substr(p->header_offset, p->header_size);
    if (spec.text == Text::header) out = std::string(header);
    else if (spec.text == Text::text) out = std::string(message.substr(p->body_offset, p->body_size));
    else out = header_fields(header, spec.fields, spec.text == Text::header_fields_not);
  }
  std::replace(out.begin(), out.end(), '\0', static_cast<char>(0x80));
  return out;
}

std::string_view apply_partial(std::string_view data, std::uint64_t start, std::uint64_t length) {
  if (start >= data.size()) return {};
  return data.substr(static_cast<std::size_t>(start),
                     static_cast<std::size_t>(std::min<std::uint64_t>(length, data.size() - start)));
}

BinaryResult fetch_binary(std::string_view message, const std::vector<PartInfo>& parts,
                          const std::vector<std::uint32_t>& path) {
  BinaryResult r;
  auto index = resolve_part(parts, path);
  if (!index) {
    r.status = BinaryResult::Status::no_such_part;
    return r;
  }
  const PartInfo& p = parts[*index];
  std::string_view body = message.substr(p.body_offset, p.body_size);
  if (path.empty()) body = message;
  switch (p.kind == PartKind::leaf ? p.encoding : TransferEncoding::identity) {
    case TransferEncoding::identity:
      r.data = std::string(body);
      break;
    case TransferEncoding::base64: {
      Decoded d = decode_base64(body);
      if (!d.valid) r.status = BinaryResult::Status::parse_error;
      r.data = std::move(d.data);
      r.needs_literal8 = true;
      break;
    }
    case TransferEncoding::quoted_printable: {
      Decoded d = decode_quoted_printable(body);
      if (!d.valid) r.status = BinaryResult::Status::parse_error;
      r.data = std::move(d.data);
      r.needs_literal8 = true;
      break;
    }
    case TransferEncoding::unknown:
      r.status = BinaryResult::Status::unknown_encoding;
      break;
  }
  if (r.status != BinaryResult::Status::ok) r.data.clear();
  if (r.data.find('\0') != std::string::npos) r.needs_literal8 = true;
  return r;
}

}  // namespace tern::mime
