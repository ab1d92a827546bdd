#include "mime/structure.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "core/text.hpp"
#include "mime/content_type.hpp"
#include "mime/text.hpp"

namespace tern::mime {

namespace {

struct PartType {
  PartKind kind = PartKind::leaf;
  std::optional<std::string> boundary;  // multipart only
  bool digest = false;                  // multipart/digest
  TransferEncoding encoding = TransferEncoding::identity;
};

TransferEncoding encoding_of(std::string_view cte_value) {
  std::string token = text::to_lower(parse_token_value(cte_value));
  if (token.empty() || token == "7bit" || token == "8bit" || token == "binary") return TransferEncoding::identity;
  if (token == "base64") return TransferEncoding::base64;
  if (token == "quoted-printable") return TransferEncoding::quoted_printable;
  return TransferEncoding::unknown;
}

// What the header of a part says about its body. `digest_child`: the default
// type is message/rfc822 (RFC 2046 5.1.5).
PartType classify(std::string_view header, bool digest_child) {
  PartType t;
  auto fields = split_fields(header);
  bool is_message = digest_child, is_multipart = false;
  if (const RawField* f = first_field(fields, "Content-Type")) {
    if (auto ct = parse_content_type(f->value)) {
      is_message = text::iequals(ct->type, "message") && text::iequals(ct->subtype, "rfc822");
      is_multipart = text::iequals(ct->type, "multipart");
      t.digest = is_multipart && text::iequals(ct->subtype, "digest");
      if (is_multipart) {
        if (const std::string* b = find_param(ct->params, "boundary"); b && !b->empty()) t.boundary = *b;
      }
    } else {
      is_message = false;  // an unparsable Content-Type means text/plain
    }
  }
  if (const RawField* f = last_field(fields, "Content-Transfer-Encoding")) t.encoding = encoding_of(f->value);
  TransferEncoding first_cte = TransferEncoding::identity;
  if (const RawField* f = first_field(fields, "Content-Transfer-Encoding")) first_cte = encoding_of(f->value);
  if (is_multipart) t.kind = PartKind::multipart;
  else if (is_message && first_cte == TransferEncoding::identity) t.kind = PartKind::message;
  return t;
}

class PartParser {
 public:
  PartParser(std::string_view message, const Limits& limits) : m_(message), limits_(limits) {}

  std::vector<PartInfo> run() {
    open_part(no_parent, 0, false);
    std::size_t pos = 0;
    while (pos < m_.size()) {
      const char* nl = static_cast<const char*>(std::memchr(m_.data() + pos, '\n', m_.size() - pos));
      std::size_t next = nl ? static_cast<std::size_t>(nl - m_.data()) + 1 : m_.size();
      if (!frames_.empty() && m_.compare(pos, 2, "--") == 0 && on_boundary_line(pos, next)) {
        pos = next;
        continue;
      }
      Open& cur = open_.back();
      if (cur.in_header) {
        std::string_view line = m_.substr(pos, next - pos);
        if (line == "\r\n" || line == "\n") {
          PartInfo& p = parts_[cur.index];
          p.header_size = next - p.header_offset;
          p.body_offset = next;
          cur.in_header = false;
          start_body(cur.index);
        }
      }
      pos = next;
    }
    close_down_to(0, m_.size());
    close_open(0, m_.size());
    for (std::size_t d = frames_.size(); d-- > 0;) ensure_child(frames_[d].part);
    return std::move(parts_);
  }

 private:
  struct Open {
    std::uint32_t index;
    bool in_header;
    std::size_t depth;
  };
  struct Frame {
    std::uint32_t part;      // the multipart
    std::size_t open_level;  // its position in open_
    std::string boundary;
    bool had_child = false;
  };

  void open_part(std::uint32_t parent, std::size_t offset, bool digest_child) {
    PartInfo p;
    p.parent = parent;
    p.header_offset = offset;
    p.body_offset = offset;
    parts_.push_back(p);
    digest_child_.push_back(digest_child);
    std::size_t depth = open_.empty() ? 0 : open_.back().depth + 1;
    open_.push_back(Open{static_cast<std::uint32_t>(parts_.size() - 1), true, depth});
  }

  void start_body(std::uint32_t index) {
    PartInfo& p = parts_[index];
    PartType t = classify(m_.substr(p.header_offset, p.header_size), digest_child_[index]);
    p.encoding = t.encoding;
    bool room = open_.back().depth + 1 < limits_.max_depth && parts_.size() < limits_.max_parts;
    if (t.kind == PartKind::multipart) {
      p.kind = PartKind::multipart;
      if (!t.boundary || !room) {
        empty_child(index, p.body_offset);  // corpus 062
        return;
      }
      frames_.push_back(Frame{index, open_.size() - 1, *t.boundary, false});
      digest_frame_.push_back(t.digest);
    } else if (t.kind == PartKind::message && room) {
      p.kind = PartKind::message;
      std::uint64_t body = p.body_offset;
      open_part(index, body, false);
    }
  }

  void empty_child(std::uint32_t parent, std::uint64_t offset) {
    PartInfo c;
    c.parent = parent;
    c.header_offset = c.body_offset = offset;
    parts_.push_back(c);
    digest_child_.push_back(false);
  }

  void ensure_child(std::uint32_t multipart) {
    // A multipart whose delimiter never appeared still has one (empty) part.
    // Without children it has no descendants either, so it is the last part
    // so far and the new child keeps the table in pre-order.
    if (multipart + 1 < parts_.size()) return;
    empty_child(multipart, parts_[multipart].body_offset);
  }

  // Closes open parts above `level` (exclusive) at `end`.
  void close_down_to(std::size_t level, std::size_t end) {
    while (open_.size() > level + 1) {
      close_open(open_.size() - 1, end);
      open_.pop_back();
    }
  }

  void close_open(std::size_t level, std::size_t end) {
    Open& o = open_[level];
    PartInfo& p = parts_[o.index];
    if (o.in_header) {
      p.header_size = end > p.header_offset ? end - p.header_offset : 0;
      p.body_offset = p.header_offset + p.header_size;
      p.body_size = 0;
      o.in_header = false;
    } else {
      p.body_size = end > p.body_offset ? end - p.body_offset : 0;
    }
  }

  bool on_boundary_line(std::size_t pos, std::size_t next) {
    std::string_view rest = m_.substr(pos + 2, next - pos - 2);
    for (std::size_t k = frames_.size(); k-- > 0;) {
      const Frame& f = frames_[k];
      if (!rest.starts_with(f.boundary)) continue;
      bool close = rest.substr(f.boundary.size()).starts_with("--");
      // The line break before the delimiter belongs to it.
      std::size_t end = pos;
      if (end >= 2 && m_[end - 2] == '\r' && m_[end - 1] == '\n') end -= 2;
      else if (end >= 1 && m_[end - 1] == '\n') end -= 1;
      // ...unless that line break ended the previous delimiter line (an empty
      // epilogue: corpus 019).
      if (end < last_delimiter_end_) end = pos;
      last_delimiter_end_ = next;
      std::size_t level = f.open_level;
      std::uint32_t multipart = f.part;
      close_down_to(level, end);
      for (std::size_t d = frames_.size(); d-- > k + 1;) ensure_child(frames_[d].part);
      frames_.resize(k + 1);
      digest_frame_.resize(k + 1);
      if (close) {
        ensure_child(multipart);
        frames_.pop_back();
        digest_frame_.pop_back();
        return true;
      }
      if (parts_.size() >= limits_.max_parts) return true;
      frames_.back().had_child = true;
      open_part(multipart, next, digest_frame_.back());
      return true;
    }
    return false;
  }

  std::string_view m_;
  Limits limits_;
  std::vector<PartInfo> parts_;
  std::vector<bool> digest_child_;
  std::vector<Open> open_;
  std::vector<Frame> frames_;
  std::vector<bool> digest_frame_;
  std::size_t last_delimiter_end_ = 0;
};

}  // namespace

std::vector<PartInfo> parse_parts(std::string_view message, const Limits& limits) {
  return PartParser(message, limits).run();
}

std::vector<std::uint32_t> children_of(const std::vector<PartInfo>& parts, std::uint32_t index) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = index + 1; i < parts.size(); ++i)
    if (parts[i].parent == index) out.push_back(static_cast<std::uint32_t>(i));
  return out;
}

std::uint64_t count_lines(std::string_view message, std::uint64_t offset, std::uint64_t size) {
  if (offset >= message.size()) return 0;
  auto body = message.substr(offset, size);
  // One memchr per line: vectorised, unlike a per-octet count.
  std::uint64_t lines = 0;
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (p == nullptr) break;
    ++lines;
    ++p;
  }
  return lines;
}

}  // namespace tern::mime
