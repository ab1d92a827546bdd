#include "mailauth/dkim.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/base64.hpp"
#include "core/text.hpp"

namespace tern::dkim {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

constexpr std::size_t hash_buffer_octets = 16 * 1024;

}  // namespace

std::vector<RawField> split_header(std::string_view header) {
  std::vector<RawField> fields;
  std::size_t pos = 0;
  const char* field_start = nullptr;
  std::string_view name;
  auto close = [&](std::size_t end) {
    if (field_start != nullptr) {
      fields.push_back({name, std::string_view(field_start, static_cast<std::size_t>(header.data() + end - field_start))});
      field_start = nullptr;
    }
  };
  while (pos < header.size()) {
    std::size_t eol = header.find('\n', pos);
    std::size_t next = eol == std::string_view::npos ? header.size() : eol + 1;
    std::string_view line = header.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") break;  // the empty line ends the header
    if (is_wsp(line.front())) {
      pos = next;  // a continuation line of the current field (or of none)
      continue;
    }
    close(pos);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      field_start = header.data() + pos;
      name = text::trim_right(line.substr(0, colon), " \t");
    }
    pos = next;
  }
  close(pos);
  return fields;
}

std::string canonical_header(const RawField& field, Canonicalization c) {
  if (c == Canonicalization::simple) {
    std::string out(field.text);
    if (out.empty() || out.back() != '\n') out += "\r\n";
    return out;
  }
  std::string out = text::to_lower(field.name);
  out += ':';
  std::size_t colon = field.text.find(':');
  std::string_view value = field.text.substr(colon + 1);
  bool wsp = false;
  bool started = false;  // WSP before the value goes
  for (char ch : value) {
    if (ch == '\r' || ch == '\n') continue;  // unfolding: the WSP after it stays
    if (is_wsp(ch)) {
      wsp = true;
      continue;
    }
    if (wsp && started) out += ' ';
    wsp = false;
    started = true;
    out += ch;
  }
  out += "\r\n";
  return out;
}

struct BodyHasher::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

BodyHasher::BodyHasher(Canonicalization c, std::uint64_t limit) : c_(c), limit_(limit), state_(new State) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
  buffer_.reserve(hash_buffer_octets);
}

BodyHasher::~BodyHasher() { delete state_; }

void BodyHasher::flush() {
  if (!buffer_.empty()) EVP_DigestUpdate(state_->ctx, buffer_.data(), buffer_.size());
  buffer_.clear();
}

void BodyHasher::emit(std::string_view octets) {
  std::uint64_t room = length_ < limit_ ? limit_ - length_ : 0;
  length_ += octets.size();
  if (room == 0) return;
  if (octets.size() > room) octets = octets.substr(0, static_cast<std::size_t>(room));
  buffer_.append(octets);
  if (buffer_.size() >= hash_buffer_octets) flush();
}

void BodyHasher::emit_line_breaks() {
  for (; empty_lines_ > 0; --empty_lines_) emit("\r\n");
}

void BodyHasher::update(std::string_view piece) {
  for (std::size_t i = 0; i < piece.size(); ++i) {
    char ch = piece[i];
    if (cr_) {
      cr_ = false;
      if (ch == '\n') {  // the end of a line
        if (c_ == Canonicalization::relaxed) wsp_ = false;  // WSP at the end of a line goes
        if (in_line_) {
          emit("\r\n");
          in_line_ = false;
        } else {
          ++empty_lines_;
        }
        continue;
      }
      // A CR alone is content.
      emit_line_breaks();
      if (wsp_) emit(" ");
      wsp_ = false;
      emit("\r");
      in_line_ = true;
    }
    if (ch == '\r') {
      cr_ = true;
      continue;
    }
    if (c_ == Canonicalization::relaxed && is_wsp(ch)) {
      wsp_ = true;
      continue;
    }
    emit_line_breaks();
    if (wsp_) emit(" ");
    wsp_ = false;
    // The run of ordinary octets up to the next CR or WSP, in one go.
    std::size_t end = i + 1;
    while (end < piece.size() && piece[end] != '\r' &&
           !(c_ == Canonicalization::relaxed && is_wsp(piece[end])))
      ++end;
    emit(piece.substr(i, end - i));
    in_line_ = true;
    i = end - 1;
  }
}

Digest BodyHasher::finish() {
  if (cr_) {  // a CR at the very end: content
    cr_ = false;
    emit_line_breaks();
    if (wsp_) emit(" ");
    wsp_ = false;
    emit("\r");
    in_line_ = true;
  }
  if (in_line_) {
    emit("\r\n");  // a last line without its line break gets one
    in_line_ = false;
  }
  if (c_ == Canonicalization::simple && length_ == 0) emit("\r\n");  // RFC 6376 3.4.3: an empty body is CRLF
  flush();
  Digest digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, digest.data(), &size);
  return digest;
}

Digest body_hash(std::string_view body, Canonicalization c) {
  BodyHasher hasher(c);
  hasher.update(body);
  return hasher.finish();
}

std::span<const std::string_view> signed_field_names() {
  static constexpr std::string_view names[] = {
      "from",       "reply-to",     "subject",      "date",         "to",
      "cc",         "message-id",   "in-reply-to",  "references",   "mime-version",
      "content-type", "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post",
  };
  return names;
}

namespace {

// "h=" and the fields it covers, in the order hashed: each name as many
// times as the header has it, plus once more. Instances are taken from the
// bottom up (RFC 6376 5.4.2).
struct Selection {
  std::string tag;                    // "from:from:to:..."
  std::vector<const RawField*> fields;  // the instances hashed, in h= order
};

Selection select_fields(const std::vector<RawField>& fields) {
  Selection s;
  for (std::string_view name : signed_field_names()) {
    std::vector<const RawField*> found;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it)
      if (text::iequals(it->name, name)) found.push_back(&*it);
    for (std::size_t i = 0; i <= found.size(); ++i) {
      if (!s.tag.empty()) s.tag += ':';
      s.tag += name;
      if (i < found.size()) s.fields.push_back(found[i]);
    }
  }
  return s;
}

// Appends `tag` to a field being folded at about 78 columns.
void append_tag(std::string& out, std::size_t& column, std::string_view tag, bool last) {
  std::string piece = std::string(tag) + (last ? "" : ";");
  if (column + 1 + piece.size() > 78) {
    out += "\r\n\t";
    column = 8;
  } else {
    out += ' ';
    ++column;
  }
  out += piece;
  column += piece.size();
}

// A long value (h=, b=) broken where needed; whitespace inside both is
// ignored by verifiers (RFC 6376 3.5: FWS is allowed in those tags; h= is
// split only after a colon).
void append_long(std::string& out, std::size_t& column, std::string_view name, std::string_view value,
                 bool at_colons) {
  out += "\r\n\t";
  column = 8;
  out += name;
  out += '=';
  column += name.size() + 1;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t room = column < 76 ? 76 - column : 1;
    std::size_t take = std::min(room, value.size() - i);
    if (at_colons && i + take < value.size()) {
      std::size_t colon = value.rfind(':', i + take - 1);
      if (colon != std::string_view::npos && colon >= i) take = colon + 1 - i;
    }
    out += value.substr(i, take);
    column += take;
    i += take;
    if (i < value.size()) {
      out += "\r\n\t";
      column = 8;
    }
  }
}

}  // namespace

Result<std::string> sign(std::string_view header, const Digest& bh, const Signer& signer, std::int64_t now) {
  auto fields = split_header(header);
  Selection selection = select_fields(fields);

  std::string field = "DKIM-Signature:";
  std::size_t column = field.size();
  append_tag(field, column, "v=1", false);
  append_tag(field, column, fmt::format("a={}", algorithm_name(signer.key.type())), false);
  append_tag(field, column, "c=relaxed/relaxed", false);
  append_tag(field, column, fmt::format("d={}", signer.domain), false);
  append_tag(field, column, fmt::format("s={}", signer.selector), false);
  append_tag(field, column, fmt::format("t={}", now), false);
  append_long(field, column, "h", selection.tag, true);
  field += ';';
  append_tag(field, column,
             fmt::format("bh={};", base64::encode(std::string_view(reinterpret_cast<const char*>(bh.data()), bh.size()))),
             true);
  field += "\r\n\tb=";

  // The data signed: the selected fields, then this field with b= empty
  // and without its final CRLF (RFC 6376 3.7).
  std::string data;
  for (const RawField* f : selection.fields) data += canonical_header(*f, Canonicalization::relaxed);
  std::string self = canonical_header(RawField{"DKIM-Signature", field}, Canonicalization::relaxed);
  self.resize(self.size() - 2);
  data += self;

  auto signature = signer.key.sign(data);
  if (!signature) return std::move(signature).error();
  std::string b = base64::encode(*signature);
  // Continue the b= line and wrap it.
  field.resize(field.size() - std::string_view("\r\n\tb=").size());
  append_long(field, column, "b", b, false);
  field += "\r\n";
  return field;
}

Result<std::string> sign_all(std::string_view header, std::string_view body, std::span<const Signer> signers,
                             std::int64_t now) {
  std::string out;
  if (signers.empty()) return out;
  Digest bh = body_hash(body, Canonicalization::relaxed);
  for (const Signer& signer : signers) {
    auto field = sign(header, bh, signer, now);
    if (!field) return std::move(field).error();
    out += *field;
  }
  return out;
}

}  // namespace tern::dkim
