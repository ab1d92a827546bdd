// FETCH items (RFC 9051 6.4.5 and 9 "fetch-att"): the macros ALL, FAST and
// FULL, the rev1 RFC822.* items, BODY[section]<partial> and BODY.PEEK,
// BINARY[part], BINARY.PEEK and BINARY.SIZE (RFC 3516), MODSEQ and the
// CHANGEDSINCE / VANISHED modifiers (RFC 7162 3.1.4, 3.2.6).
#include <cctype>

#include "core/text.hpp"
#include "imap/protocol/parse_detail.hpp"

namespace tern::imap::detail {
namespace {

using Kind = FetchItem::Kind;

// The part number before a section's text: "1.2." or "1.2".
bool parse_part(Lexer& lx, std::vector<std::uint32_t>& path, bool& dot_after) {
  dot_after = false;
  while (std::isdigit(static_cast<unsigned char>(lx.peek()))) {
    auto n = lx.nz_number();
    if (!n) return false;
    path.push_back(*n);
    if (!lx.consume('.')) return true;
    if (!std::isdigit(static_cast<unsigned char>(lx.peek()))) {
      dot_after = true;
      return true;
    }
  }
  return true;
}

// What is between the brackets of BODY[...].
bool parse_section(Lexer& lx, mime::SectionSpec& spec) {
  using Text = mime::SectionSpec::Text;
  bool dot_after = false;
  if (!parse_part(lx, spec.path, dot_after)) return false;
  if (!spec.path.empty() && !dot_after) return lx.expect(']', "expected ']'");
  if (spec.path.empty() && lx.consume(']')) return true;
  if (lx.consume_word("HEADER.FIELDS.NOT")) {
    spec.text = Text::header_fields_not;
  } else if (lx.consume_word("HEADER.FIELDS")) {
    spec.text = Text::header_fields;
  } else if (lx.consume_word("HEADER")) {
    spec.text = Text::header;
  } else if (lx.consume_word("TEXT")) {
    spec.text = Text::text;
  } else if (!spec.path.empty() && lx.consume_word("MIME")) {
    spec.text = Text::mime;
  } else {
    return lx.fail("invalid section");
  }
  if (spec.text == Text::header_fields || spec.text == Text::header_fields_not) {
    if (!lx.sp() || !lx.open()) return false;
    do {
      auto name = lx.astring();
      if (!name) return false;
      spec.fields.push_back(std::move(*name));
    } while (lx.consume(' '));
    if (!lx.close()) return false;
  }
  return lx.expect(']', "expected ']'");
}

bool parse_partial(Lexer& lx, FetchItem& item) {
  if (!lx.consume('<')) return true;
  auto start = lx.number();
  if (!start || !lx.expect('.', "expected '.' in <start.length>")) return false;
  auto length = lx.nz_number();
  if (!length || !lx.expect('>', "expected '>'")) return false;
  item.partial = std::pair(*start, *length);
  return true;
}

std::string item_name(Lexer& lx) {
  std::string name;
  while (std::isalnum(static_cast<unsigned char>(lx.peek())) || lx.peek() == '.' || lx.peek() == '-') {
    name += text::ascii_upper(lx.peek());
    lx.consume(lx.peek());
  }
  return name;
}

bool parse_item(Lexer& lx, std::vector<FetchItem>& items) {
  const std::string name = item_name(lx);
  FetchItem item;
  const bool bracket = lx.peek() == '[';
  if (name == "BODY" || name == "BODY.PEEK") {
    if (!bracket) {
      if (name == "BODY.PEEK") return lx.fail("BODY.PEEK needs a section");
      item.kind = Kind::body;
      items.push_back(std::move(item));
      return true;
    }
    lx.consume('[');
    item.kind = Kind::body_section;
    item.peek = name == "BODY.PEEK";
    if (!parse_section(lx, item.section) || !parse_partial(lx, item)) return false;
  } else if (name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE") {
    if (!lx.expect('[', "expected '[' after BINARY")) return false;
    bool dot_after = false;
    if (!parse_part(lx, item.part, dot_after)) return false;
    if (dot_after || !lx.expect(']', "expected ']' after the part number")) return lx.fail("invalid BINARY part");
    item.kind = name == "BINARY.SIZE" ? Kind::binary_size : Kind::binary;
    item.peek = name == "BINARY.PEEK";
    if (item.kind == Kind::binary && !parse_partial(lx, item)) return false;
  } else if (bracket) {
    return lx.fail("unexpected '[' after " + name);
  } else if (name == "FLAGS") {
    item.kind = Kind::flags;
  } else if (name == "INTERNALDATE") {
    item.kind = Kind::internaldate;
  } else if (name == "RFC822.SIZE") {
    item.kind = Kind::rfc822_size;
  } else if (name == "ENVELOPE") {
    item.kind = Kind::envelope;
  } else if (name == "BODYSTRUCTURE") {
    item.kind = Kind::bodystructure;
  } else if (name == "UID") {
    item.kind = Kind::uid;
  } else if (name == "RFC822") {
    item.kind = Kind::rfc822;
  } else if (name == "RFC822.HEADER") {
    item.kind = Kind::rfc822_header;
  } else if (name == "RFC822.TEXT") {
    item.kind = Kind::rfc822_text;
  } else if (name == "MODSEQ") {
    item.kind = Kind::modseq;
  } else {
    return lx.fail(name.empty() ? std::string("expected a fetch item") : "unknown fetch item " + name);
  }
  items.push_back(std::move(item));
  return true;
}

// RFC 9051 6.4.5: the macros, which stand alone (not inside a list).
bool expand_macro(Lexer& lx, std::vector<FetchItem>& items) {
  auto add = [&items](std::initializer_list<Kind> kinds) {
    for (Kind k : kinds) {
      FetchItem item;
      item.kind = k;
      items.push_back(std::move(item));
    }
  };
  if (lx.consume_word("ALL")) add({Kind::flags, Kind::internaldate, Kind::rfc822_size, Kind::envelope});
  else if (lx.consume_word("FAST")) add({Kind::flags, Kind::internaldate, Kind::rfc822_size});
  else if (lx.consume_word("FULL")) add({Kind::flags, Kind::internaldate, Kind::rfc822_size, Kind::envelope, Kind::body});
  else return false;
  return true;
}

}  // namespace

std::optional<command::Fetch> parse_fetch(Lexer& lx, bool uid) {
  command::Fetch fetch;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  fetch.set = std::move(*set);
  if (lx.peek() == '(') {
    if (!lx.open()) return std::nullopt;
    do {
      if (!parse_item(lx, fetch.items)) return std::nullopt;
    } while (lx.consume(' '));
    if (!lx.close()) return std::nullopt;
  } else if (!expand_macro(lx, fetch.items) && !parse_item(lx, fetch.items)) {
    return std::nullopt;
  }
  if (lx.consume(' ')) {
    if (!lx.open()) return std::nullopt;
    do {
      if (lx.consume_word("CHANGEDSINCE")) {
        if (!lx.sp()) return std::nullopt;
        fetch.changed_since = lx.number64();
        if (!fetch.changed_since) return std::nullopt;
      } else if (lx.consume_word("VANISHED")) {
        fetch.vanished = true;
      } else {
        lx.fail("unknown FETCH modifier");
        return std::nullopt;
      }
    } while (lx.consume(' '));
    if (!lx.close()) return std::nullopt;
    // RFC 7162 3.2.6: VANISHED only in UID FETCH and only with CHANGEDSINCE.
    if (fetch.vanished && (!uid || !fetch.changed_since)) {
      lx.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
      return std::nullopt;
    }
  }
  return fetch;
}

}  // namespace tern::imap::detail
