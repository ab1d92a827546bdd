#include "mime/text.hpp"

#include <cstring>

#include "core/text.hpp"

namespace tern::mime {

std::string canonicalize_line_endings(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 64);
  // Line by line: the text before each LF is copied in one piece; a CR
  // followed by CR LF is dropped, and an LF gets the CR it lacks.
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const auto* found = static_cast<const char*>(std::memchr(raw.data() + pos, '\n', raw.size() - pos));
    if (found == nullptr) {
      out.append(raw, pos);
      break;
    }
    const auto lf = static_cast<std::size_t>(found - raw.data());
    std::size_t end = lf;
    if (end - pos >= 2 && raw[end - 1] == '\r' && raw[end - 2] == '\r') --end;  // CR CR LF
    out.append(raw, pos, end - pos);
    if (out.empty() || out.back() != '\r') out += '\r';
    out += '\n';
    pos = lf + 1;
  }
  return out;
}

std::vector<RawField> split_fields(std::string_view header) {
  std::vector<RawField> fields;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t nl = header.find('\n', pos);
    std::size_t next = nl == std::string_view::npos ? header.size() : nl + 1;
    std::string_view line = header.substr(pos, next - pos);
    std::string_view content = text::trim_right(line, "\r\n");
    if (content.empty()) break;  // the empty line ends the header
    if ((content.front() == ' ' || content.front() == '\t') && !fields.empty()) {
      RawField& f = fields.back();
      f.size = next - f.offset;
      const char* vbegin = f.value.data();
      f.value = std::string_view(vbegin, static_cast<std::size_t>(header.data() + pos + content.size() - vbegin));
      pos = next;
      continue;
    }
    RawField f;
    f.offset = pos;
    f.size = next - pos;
    std::size_t colon = content.find(':');
    std::string_view name = colon == std::string_view::npos ? content : content.substr(0, colon);
    f.name = text::trim_right(name, text::wsp);
    f.value = colon == std::string_view::npos ? content.substr(content.size()) : content.substr(colon + 1);
    fields.push_back(f);
    pos = next;
  }
  return fields;
}

std::string unfold(std::string_view raw_value) {
  std::string out;
  out.reserve(raw_value.size());
  for (char c : raw_value)
    if (c != '\r' && c != '\n') out.push_back(c);
  out.erase(0, out.size() - text::trim_left(out, text::wsp).size());
  return out;
}

const RawField* first_field(const std::vector<RawField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (text::iequals(f.name, name)) return &f;
  return nullptr;
}

const RawField* last_field(const std::vector<RawField>& fields, std::string_view name) {
  for (auto it = fields.rbegin(); it != fields.rend(); ++it)
    if (text::iequals(it->name, name)) return &*it;
  return nullptr;
}

}  // namespace tern::mime
