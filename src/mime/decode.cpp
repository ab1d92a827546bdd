#include "mime/decode.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstring>

#include "core/text.hpp"
#include "mime/content_type.hpp"
#include "mime/text.hpp"

namespace tern::mime {

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Length of the valid UTF-8 sequence at s[i], 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  return n;
}

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    std::size_t n = utf8_sequence(in, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace

Decoded decode_base64(std::string_view in) {
  Decoded d;
  d.data.reserve(in.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0, group = 0;
  bool padding = false;
  for (char c : in) {
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = base64_value(c);
    if (v < 0 || padding) {
      d.valid = false;  // a bad character, or data after the padding
      if (v < 0) continue;
      padding = false;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    group = (group + 1) % 4;
    if (bits >= 8) {
      bits -= 8;
      d.data.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (group == 1) d.valid = false;  // six bits cannot make an octet
  return d;
}

Decoded decode_quoted_printable(std::string_view in) {
  Decoded d;
  d.data.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    // One line at a time: trailing white space is transport padding (6.7 rule 3).
    std::size_t nl = in.find('\n', i);
    std::size_t line_end = nl == std::string_view::npos ? in.size() : nl;
    std::size_t content_end = line_end;
    if (content_end > i && in[content_end - 1] == '\r') --content_end;
    const std::size_t trimmed = i + text::trim_right(in.substr(i, content_end - i), text::wsp).size();
    bool soft_break = false;
    for (std::size_t k = i; k < trimmed; ++k) {
      char c = in[k];
      if (c != '=') {
        d.data.push_back(c);
        continue;
      }
      if (k + 1 == trimmed) {
        soft_break = true;
        break;
      }
      int hi = k + 1 < trimmed ? hex_value(in[k + 1]) : -1;
      int lo = k + 2 < trimmed ? hex_value(in[k + 2]) : -1;
      if (hi < 0 || lo < 0) {
        d.valid = false;
        d.data.push_back('=');
        continue;
      }
      d.data.push_back(static_cast<char>(hi * 16 + lo));
      k += 2;
    }
    if (nl == std::string_view::npos) break;
    if (!soft_break) d.data += "\r\n";
    i = nl + 1;
  }
  return d;
}

std::string to_utf8(std::string_view in, std::string_view charset) {
  std::string cs = text::to_lower(charset);
  if (cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") return sanitize_utf8(in);
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return sanitize_utf8(in);
  std::string out;
  out.resize(in.size() * 4 + 16);
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  while (src_left > 0) {
    std::size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
    if (r != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      std::size_t used = static_cast<std::size_t>(dst - out.data());
      out.resize(out.size() * 2);
      dst = out.data() + used;
      dst_left = out.size() - used;
      continue;
    }
    // EILSEQ / EINVAL: replace one octet and go on.
    if (dst_left < 3) {
      std::size_t used = static_cast<std::size_t>(dst - out.data());
      out.resize(out.size() * 2);
      dst = out.data() + used;
      dst_left = out.size() - used;
    }
    std::memcpy(dst, "\xEF\xBF\xBD", 3);
    dst += 3;
    dst_left -= 3;
    ++src;
    --src_left;
  }
  out.resize(static_cast<std::size_t>(dst - out.data()));
  iconv_close(cd);
  return out;
}

std::string decode_header_value(std::string_view value) {
  std::string out;
  std::size_t i = 0;
  std::size_t pending_ws_start = std::string::npos;  // white space after an encoded word
  bool last_was_word = false;
  while (i < value.size()) {
    if (value.compare(i, 2, "=?") == 0) {
      // =?charset?enc?text?=
      std::size_t q1 = value.find('?', i + 2);
      std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('?', q1 + 1);
      std::size_t end = q2 == std::string_view::npos ? q2 : value.find("?=", q2 + 1);
      if (end != std::string_view::npos && q2 == q1 + 2) {
        std::string_view charset = value.substr(i + 2, q1 - i - 2);
        if (auto star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);  // RFC 2231 5
        const char enc = text::ascii_lower(value[q1 + 1]);
        std::string_view text = value.substr(q2 + 1, end - q2 - 1);
        bool ok = text.find(' ') == std::string_view::npos && (enc == 'b' || enc == 'q');
        if (ok) {
          std::string raw;
          if (enc == 'b') {
            Decoded d = decode_base64(text);
            raw = std::move(d.data);
          } else {
            for (std::size_t k = 0; k < text.size(); ++k) {
              char c = text[k];
              if (c == '_') raw.push_back(' ');
              else if (c == '=' && k + 2 < text.size() && hex_value(text[k + 1]) >= 0 && hex_value(text[k + 2]) >= 0) {
                raw.push_back(static_cast<char>(hex_value(text[k + 1]) * 16 + hex_value(text[k + 2])));
                k += 2;
              } else {
                raw.push_back(c);
              }
            }
          }
          if (last_was_word && pending_ws_start != std::string::npos) out.resize(pending_ws_start);
          out += to_utf8(raw, charset);
          i = end + 2;
          last_was_word = true;
          pending_ws_start = out.size();
          continue;
        }
      }
    }
    char c = value[i++];
    out.push_back(c);
    if (c != ' ' && c != '\t') {
      last_was_word = false;
      pending_ws_start = std::string::npos;
    }
  }
  return sanitize_utf8(out);
}

std::string message_text(std::string_view message, const std::vector<PartInfo>& parts, bool include_headers) {
  std::string out;
  for (std::uint32_t i = 0; i < parts.size(); ++i) {
    const PartInfo& p = parts[i];
    auto fields = split_fields(message.substr(p.header_offset, p.header_size));
    if (include_headers) {
      for (const auto& f : fields) {
        out.append(f.name);
        out += ": ";
        out += decode_header_value(unfold(f.value));
        out += '\n';
      }
    }
    if (p.kind != PartKind::leaf) continue;
    std::string type = "text", charset;
    if (const RawField* ct = first_field(fields, "Content-Type")) {
      if (auto parsed = parse_content_type(ct->value)) {
        type = text::to_lower(parsed->type);
        if (const std::string* c = find_param(parsed->params, "charset")) charset = *c;
      }
    }
    if (type != "text" && type != "message") continue;
    std::string_view body = message.substr(p.body_offset, p.body_size);
    std::string decoded;
    if (p.encoding == TransferEncoding::base64) decoded = decode_base64(body).data;
    else if (p.encoding == TransferEncoding::quoted_printable) decoded = decode_quoted_printable(body).data;
    else decoded = std::string(body);
    out += to_utf8(decoded, charset);
    out += '\n';
  }
  return out;
}

}  // namespace tern::mime
