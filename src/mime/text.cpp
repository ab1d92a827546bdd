#include "mime/text.hpp"

#include <cctype>
#include <cstring>

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
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.remove_suffix(1);
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
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    f.name = name;
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
  std::size_t start = 0;
  while (start < out.size() && (out[start] == ' ' || out[start] == '\t')) ++start;
  out.erase(0, start);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const RawField* first_field(const std::vector<RawField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

const RawField* last_field(const std::vector<RawField>& fields, std::string_view name) {
  for (auto it = fields.rbegin(); it != fields.rend(); ++it)
    if (iequals(it->name, name)) return &*it;
  return nullptr;
}

}  // namespace tern::mime
