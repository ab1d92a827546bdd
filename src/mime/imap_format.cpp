#include "mime/imap_format.hpp"

#include "core/text.hpp"
#include "mime/address.hpp"
#include "mime/content_type.hpp"
#include "mime/text.hpp"

namespace tern::mime {

void append_literal(std::string& out, std::string_view value) {
  out += '{';
  out += std::to_string(value.size());
  out += "}\r\n";
  out += value;
}

void append_nstring(std::string& out, std::optional<std::string_view> value) {
  if (!value) {
    out += "NIL";
    return;
  }
  unsigned escapes = 0;
  for (char c : *value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      if (++escapes > 4) return append_literal(out, *value);
    } else if (c == '\r' || c == '\n' || c == '\0' || u >= 0x80) {
      return append_literal(out, *value);
    }
  }
  out += '"';
  for (char c : *value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_string_for_humans(std::string& out, std::string_view raw) {
  bool modify = false, last_space = true;
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t' || c == '\0' || c == '"' || c == '\\' || u >= 0x80) modify = true;
    if (c == ' ' && last_space) modify = true;
    if (c == ' ' || c == '\t') last_space = true;
    else if (c != '\r' && c != '\n') last_space = false;
  }
  if (!raw.empty() && last_space) modify = true;
  if (!modify) {
    out += '"';
    out += raw;
    out += '"';
    return;
  }
  std::string clean;
  bool pending_space = false;
  for (char c : raw) {
    if (c == '\r' || c == '\n') continue;
    if (c == ' ' || c == '\t') {
      pending_space = !clean.empty();
      continue;
    }
    if (pending_space) clean += ' ';
    pending_space = false;
    clean += c == '\0' ? static_cast<char>(0x80) : c;
  }
  if (clean.empty()) {
    out += "\"\"";
    return;
  }
  append_literal(out, clean);
}

namespace {

// A header field's value without its leading white space, folds kept.
std::string_view raw_value(const RawField& f) {
  return text::trim_left(f.value, text::wsp);
}

void append_unfolded_nstring(std::string& out, const RawField* f) {
  if (!f) return append_nstring(out, std::nullopt);
  append_nstring(out, unfold(f->value));
}

void append_addresses(std::string& out, const std::vector<Address>& list) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const Address& a : list) {
    out += '(';
    if (a.name) append_string_for_humans(out, *a.name);
    else out += "NIL";
    out += ' ';
    append_nstring(out, a.route ? std::optional<std::string_view>(*a.route) : std::nullopt);
    out += ' ';
    append_nstring(out, a.mailbox ? std::optional<std::string_view>(*a.mailbox) : std::nullopt);
    out += ' ';
    append_nstring(out, a.host ? std::optional<std::string_view>(*a.host) : std::nullopt);
    out += ')';
  }
  out += ')';
}

// All fields named `name`, concatenated (Dovecot; corpus 039). nullopt when absent.
std::optional<std::vector<Address>> addresses(const std::vector<RawField>& fields, std::string_view name) {
  std::optional<std::vector<Address>> out;
  for (const auto& f : fields) {
    if (!text::iequals(f.name, name)) continue;
    if (!out) out.emplace();
    auto list = parse_address_list(unfold(f.value));
    out->insert(out->end(), list.begin(), list.end());
  }
  return out;
}

void append_params(std::string& out, const Parameters& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const auto& [name, value] : params) {
    if (!first) out += ' ';
    first = false;
    append_nstring(out, name);
    out += ' ';
    append_nstring(out, value);
  }
  out += ')';
}

// body-fld-dsp, body-fld-lang, body-fld-loc (RFC 9051 9).
void append_extension_tail(std::string& out, const std::vector<RawField>& fields) {
  out += ' ';
  const RawField* disposition = first_field(fields, "Content-Disposition");
  std::optional<Disposition> d = disposition ? parse_disposition(disposition->value) : std::nullopt;
  if (d) {
    out += '(';
    append_nstring(out, d->type);
    out += ' ';
    append_params(out, d->params);
    out += ')';
  } else {
    out += "NIL";
  }
  out += ' ';
  const RawField* language = first_field(fields, "Content-Language");
  auto langs = language ? parse_token_list(language->value) : std::vector<std::string>{};
  if (langs.empty()) {
    out += "NIL";
  } else {
    out += '(';
    for (std::size_t i = 0; i < langs.size(); ++i) {
      if (i) out += ' ';
      append_nstring(out, langs[i]);
    }
    out += ')';
  }
  out += ' ';
  append_unfolded_nstring(out, first_field(fields, "Content-Location"));
}

void render(std::string& out, std::string_view message, const std::vector<PartInfo>& parts, std::uint32_t index,
            bool extended, bool digest_child) {
  const PartInfo& p = parts[index];
  auto header = message.substr(p.header_offset, p.header_size);
  auto fields = split_fields(header);
  const RawField* ct_field = first_field(fields, "Content-Type");
  std::optional<ContentType> ct = ct_field ? parse_content_type(ct_field->value) : std::nullopt;
  out += '(';
  if (p.kind == PartKind::multipart) {
    bool digest = ct && text::iequals(ct->subtype, "digest");
    for (std::uint32_t child : children_of(parts, index)) render(out, message, parts, child, extended, digest);
    out += ' ';
    append_nstring(out, ct ? ct->subtype : std::string("mixed"));
    if (extended) {
      out += ' ';
      append_params(out, ct ? ct->params : Parameters{});
      append_extension_tail(out, fields);
    }
    out += ')';
    return;
  }
  if (!ct) {
    ct = digest_child ? ContentType{"message", "rfc822", {}} : ContentType{"text", "plain", {}};
  }
  const bool is_text = text::iequals(ct->type, "text");
  if (is_text && ct->params.empty()) ct->params.emplace_back("charset", "us-ascii");
  append_nstring(out, ct->type);
  out += ' ';
  append_nstring(out, ct->subtype);
  out += ' ';
  append_params(out, ct->params);
  out += ' ';
  append_unfolded_nstring(out, first_field(fields, "Content-ID"));
  out += ' ';
  append_unfolded_nstring(out, first_field(fields, "Content-Description"));
  out += ' ';
  const RawField* cte = first_field(fields, "Content-Transfer-Encoding");
  std::string encoding = cte ? parse_token_value(cte->value) : std::string();
  append_nstring(out, encoding.empty() ? std::string("7bit") : encoding);
  out += ' ';
  out += std::to_string(p.body_size);
  if (p.kind == PartKind::message) {
    std::uint32_t inner = index + 1;  // the embedded message follows its part
    const PartInfo& e = parts[inner];
    out += ' ';
    out += render_envelope(message.substr(e.header_offset, e.header_size));
    out += ' ';
    render(out, message, parts, inner, extended, false);
    out += ' ';
    out += std::to_string(count_lines(message, p.body_offset, p.body_size));
  } else if (is_text) {
    out += ' ';
    out += std::to_string(count_lines(message, p.body_offset, p.body_size));
  }
  if (extended) {
    out += ' ';
    append_unfolded_nstring(out, first_field(fields, "Content-MD5"));
    append_extension_tail(out, fields);
  }
  out += ')';
}

}  // namespace

std::string render_envelope(std::string_view header) {
  auto fields = split_fields(header);
  std::string out = "(";
  append_unfolded_nstring(out, last_field(fields, "Date"));
  out += ' ';
  if (const RawField* s = last_field(fields, "Subject")) append_string_for_humans(out, raw_value(*s));
  else out += "NIL";
  auto from = addresses(fields, "From");
  auto sender = addresses(fields, "Sender");
  auto reply_to = addresses(fields, "Reply-To");
  // RFC 9051 7.5.2: an absent or empty Sender / Reply-To is the From list.
  const auto* sender_list = sender && !sender->empty() ? &sender : &from;
  const auto* reply_list = reply_to && !reply_to->empty() ? &reply_to : &from;
  const auto* from_list = &from;
  for (const auto* list : {from_list, sender_list, reply_list}) {
    out += ' ';
    append_addresses(out, list->value_or(std::vector<Address>{}));
  }
  for (std::string_view name : {"To", "Cc", "Bcc"}) {
    out += ' ';
    append_addresses(out, addresses(fields, name).value_or(std::vector<Address>{}));
  }
  out += ' ';
  append_unfolded_nstring(out, last_field(fields, "In-Reply-To"));
  out += ' ';
  append_unfolded_nstring(out, last_field(fields, "Message-ID"));
  out += ')';
  return out;
}

std::string render_body_structure(std::string_view message, const std::vector<PartInfo>& parts, std::uint32_t index,
                                  bool extended) {
  std::string out;
  render(out, message, parts, index, extended, false);
  return out;
}

}  // namespace tern::mime
