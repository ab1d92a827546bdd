#include "mime/message.hpp"

#include "mime/imap_format.hpp"

namespace tern::mime {

MessageStructure analyze_message(std::string_view message, const Limits& limits) {
  MessageStructure s;
  s.size = message.size();
  s.parts = parse_parts(message, limits);
  const PartInfo& root = s.parts[0];
  s.envelope = render_envelope(message.substr(root.header_offset, root.header_size));
  s.body = render_body_structure(message, s.parts, 0, false);
  s.bodystructure = render_body_structure(message, s.parts, 0, true);
  return s;
}

namespace {

void put(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put(std::string& out, std::string_view s) {
  put(out, s.size());
  out += s;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool get(std::uint64_t& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) return false;
      auto b = static_cast<unsigned char>(s_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool get(std::string& out) {
    std::uint64_t n = 0;
    if (!get(n) || n > s_.size() - pos_) return false;
    out.assign(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string serialize(const MessageStructure& s) {
  std::string out("TM\x01", 3);
  put(out, s.size);
  put(out, s.parts.size());
  for (const PartInfo& p : s.parts) {
    put(out, p.parent == no_parent ? 0 : std::uint64_t{p.parent} + 1);
    put(out, static_cast<std::uint64_t>(p.kind));
    put(out, static_cast<std::uint64_t>(p.encoding));
    put(out, p.header_offset);
    put(out, p.header_size);
    put(out, p.body_offset - (p.header_offset + p.header_size));
    put(out, p.body_size);
  }
  put(out, s.envelope);
  put(out, s.body);
  put(out, s.bodystructure);
  return out;
}

std::optional<MessageStructure> deserialize(std::string_view blob) {
  if (blob.size() < 3 || blob.substr(0, 3) != std::string_view("TM\x01", 3)) return std::nullopt;
  Reader r(blob.substr(3));
  MessageStructure s;
  std::uint64_t count = 0;
  if (!r.get(s.size) || !r.get(count) || count == 0 || count > blob.size()) return std::nullopt;
  s.parts.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    PartInfo& p = s.parts[i];
    std::uint64_t parent = 0, kind = 0, encoding = 0, gap = 0;
    if (!r.get(parent) || !r.get(kind) || !r.get(encoding) || !r.get(p.header_offset) || !r.get(p.header_size) ||
        !r.get(gap) || !r.get(p.body_size))
      return std::nullopt;
    // Parents precede children (pre-order); offsets stay inside the message.
    if ((i == 0) != (parent == 0) || parent > i || kind > 2 || encoding > 3) return std::nullopt;
    p.parent = parent == 0 ? no_parent : static_cast<std::uint32_t>(parent - 1);
    p.kind = static_cast<PartKind>(kind);
    p.encoding = static_cast<TransferEncoding>(encoding);
    p.body_offset = p.header_offset + p.header_size + gap;
    if (p.header_offset > s.size || p.header_size > s.size - p.header_offset || p.body_offset > s.size ||
        p.body_size > s.size - p.body_offset)
      return std::nullopt;
  }
  for (std::uint64_t i = 0; i < count; ++i)
    if (s.parts[i].kind == PartKind::message && (i + 1 >= count || s.parts[i + 1].parent != i)) return std::nullopt;
  if (!r.get(s.envelope) || !r.get(s.body) || !r.get(s.bodystructure) || !r.done()) return std::nullopt;
  return s;
}

}  // namespace tern::mime
