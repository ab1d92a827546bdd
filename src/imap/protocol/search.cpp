// SEARCH criteria into a tree (RFC 9051 6.4.4 and 9 "search-key"; RFC 3501
// keys NEW, OLD, RECENT; RFC 7162 3.1.5 MODSEQ; RFC 4731 / RFC 5182 RETURN
// options with SAVE and "$"). Parenthesized groups and NOT/OR recurse, so
// the depth bound of the lexer applies to both.
#include <array>

#include "core/text.hpp"
#include "imap/protocol/parse_detail.hpp"

namespace tern::imap::detail {
namespace {

using Kind = SearchKey::Kind;

struct KeySpec {
  std::string_view name;
  Kind kind;
  enum class Argument : std::uint8_t { none, string, date, number, flag, header, two_keys, one_key, set } argument;
};

constexpr std::array<KeySpec, 36> keys = {{
    {"ALL", Kind::all, KeySpec::Argument::none},
    {"ANSWERED", Kind::answered, KeySpec::Argument::none},
    {"BCC", Kind::bcc, KeySpec::Argument::string},
    {"BEFORE", Kind::before, KeySpec::Argument::date},
    {"BODY", Kind::body, KeySpec::Argument::string},
    {"CC", Kind::cc, KeySpec::Argument::string},
    {"DELETED", Kind::deleted, KeySpec::Argument::none},
    {"DRAFT", Kind::draft, KeySpec::Argument::none},
    {"FLAGGED", Kind::flagged, KeySpec::Argument::none},
    {"FROM", Kind::from, KeySpec::Argument::string},
    {"HEADER", Kind::header, KeySpec::Argument::header},
    {"KEYWORD", Kind::keyword, KeySpec::Argument::flag},
    {"LARGER", Kind::larger, KeySpec::Argument::number},
    {"NEW", Kind::new_, KeySpec::Argument::none},
    {"NOT", Kind::not_, KeySpec::Argument::one_key},
    {"OLD", Kind::old, KeySpec::Argument::none},
    {"ON", Kind::on, KeySpec::Argument::date},
    {"OR", Kind::or_, KeySpec::Argument::two_keys},
    {"RECENT", Kind::recent, KeySpec::Argument::none},
    {"SEEN", Kind::seen, KeySpec::Argument::none},
    {"SENTBEFORE", Kind::sentbefore, KeySpec::Argument::date},
    {"SENTON", Kind::senton, KeySpec::Argument::date},
    {"SENTSINCE", Kind::sentsince, KeySpec::Argument::date},
    {"SINCE", Kind::since, KeySpec::Argument::date},
    {"SMALLER", Kind::smaller, KeySpec::Argument::number},
    {"SUBJECT", Kind::subject, KeySpec::Argument::string},
    {"TEXT", Kind::text, KeySpec::Argument::string},
    {"TO", Kind::to, KeySpec::Argument::string},
    {"UID", Kind::uid, KeySpec::Argument::set},
    {"UNANSWERED", Kind::unanswered, KeySpec::Argument::none},
    {"UNDELETED", Kind::undeleted, KeySpec::Argument::none},
    {"UNDRAFT", Kind::undraft, KeySpec::Argument::none},
    {"UNFLAGGED", Kind::unflagged, KeySpec::Argument::none},
    {"UNKEYWORD", Kind::unkeyword, KeySpec::Argument::flag},
    {"UNSEEN", Kind::unseen, KeySpec::Argument::none},
    {"MODSEQ", Kind::modseq, KeySpec::Argument::none},  // its arguments are parsed apart
}};

std::optional<SearchKey> parse_key(Lexer& lx);

bool parse_modseq(Lexer& lx, SearchKey& key) {
  if (!lx.sp()) return false;
  // [entry-name SP entry-type-req SP]: the per-flag form; tern keeps one
  // modseq per message, so the entry only has to be well-formed.
  if (lx.peek() == '"') {
    auto entry = lx.string();
    if (!entry || !lx.sp()) return false;
    if (!lx.consume_word("PRIV") && !lx.consume_word("SHARED") && !lx.consume_word("ALL")) {
      return lx.fail("expected priv, shared or all");
    }
    if (!lx.sp()) return false;
  }
  auto n = lx.number64();
  if (!n) return false;
  key.number = *n;
  return true;
}

std::optional<SearchKey> parse_key(Lexer& lx) {
  if (lx.failed()) return std::nullopt;
  SearchKey key;
  if (lx.peek() == '(') {
    if (!lx.open()) return std::nullopt;
    key.kind = Kind::all_of;
    do {
      auto child = parse_key(lx);
      if (!child) return std::nullopt;
      key.children.push_back(std::move(*child));
    } while (lx.consume(' '));
    if (!lx.close()) return std::nullopt;
    return key;
  }
  const char c = lx.peek();
  if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
    key.kind = Kind::sequence_set;
    auto set = lx.sequence_set();
    if (!set) return std::nullopt;
    key.set = std::move(*set);
    return key;
  }
  auto word = lx.atom();
  if (!word) {
    lx.fail("expected a search key");
    return std::nullopt;
  }
  const std::string name = text::to_upper(*word);
  const KeySpec* spec = nullptr;
  for (const KeySpec& k : keys) {
    if (k.name == name) spec = &k;
  }
  if (spec == nullptr) {
    lx.fail("unknown search key " + name);
    return std::nullopt;
  }
  key.kind = spec->kind;
  if (key.kind == Kind::modseq) return parse_modseq(lx, key) ? std::optional(std::move(key)) : std::nullopt;
  if (spec->argument == KeySpec::Argument::none) return key;
  if (!lx.sp()) return std::nullopt;
  switch (spec->argument) {
    case KeySpec::Argument::none: break;
    case KeySpec::Argument::string: {
      auto s = lx.astring();
      if (!s) return std::nullopt;
      key.value = std::move(*s);
      break;
    }
    case KeySpec::Argument::header: {
      auto field = lx.astring();
      if (!field || !lx.sp()) return std::nullopt;
      auto s = lx.astring();
      if (!s) return std::nullopt;
      key.field = std::move(*field);
      key.value = std::move(*s);
      break;
    }
    case KeySpec::Argument::date: {
      auto d = lx.date();
      if (!d) return std::nullopt;
      key.date = *d;
      break;
    }
    case KeySpec::Argument::number: {
      auto n = lx.number64();
      if (!n) return std::nullopt;
      key.number = *n;
      break;
    }
    case KeySpec::Argument::flag: {
      auto f = lx.atom();
      if (!f) return std::nullopt;
      key.field = std::move(*f);
      break;
    }
    case KeySpec::Argument::set: {
      auto set = lx.sequence_set();
      if (!set) return std::nullopt;
      key.set = std::move(*set);
      break;
    }
    case KeySpec::Argument::one_key: {
      if (!lx.enter()) return std::nullopt;
      auto child = parse_key(lx);
      if (!child) return std::nullopt;
      lx.leave();
      key.children.push_back(std::move(*child));
      break;
    }
    case KeySpec::Argument::two_keys: {
      if (!lx.enter()) return std::nullopt;
      auto a = parse_key(lx);
      if (!a || !lx.sp()) return std::nullopt;
      auto b = parse_key(lx);
      if (!b) return std::nullopt;
      lx.leave();
      key.children.push_back(std::move(*a));
      key.children.push_back(std::move(*b));
      break;
    }
  }
  return key;
}

}  // namespace

std::optional<command::Search> parse_search(Lexer& lx) {
  command::Search search;
  if (lx.consume_word("RETURN")) {
    if (!lx.sp() || !lx.open()) return std::nullopt;
    search.return_options.emplace();
    if (lx.peek() != ')') {
      do {
        if (lx.consume_word("MIN")) search.return_options->push_back(SearchReturn::min);
        else if (lx.consume_word("MAX")) search.return_options->push_back(SearchReturn::max);
        else if (lx.consume_word("ALL")) search.return_options->push_back(SearchReturn::all);
        else if (lx.consume_word("COUNT")) search.return_options->push_back(SearchReturn::count);
        else if (lx.consume_word("SAVE")) search.return_options->push_back(SearchReturn::save);
        else {
          lx.fail("unknown SEARCH return option");
          return std::nullopt;
        }
      } while (lx.consume(' '));
    }
    if (!lx.close() || !lx.sp()) return std::nullopt;
  }
  if (lx.consume_word("CHARSET")) {
    if (!lx.sp()) return std::nullopt;
    search.charset = lx.astring();
    if (!search.charset || !lx.sp()) return std::nullopt;
  }
  search.criteria.kind = Kind::all_of;
  do {
    auto key = parse_key(lx);
    if (!key) return std::nullopt;
    search.criteria.children.push_back(std::move(*key));
  } while (lx.consume(' '));
  return search;
}

std::optional<std::vector<StatusItem>> parse_status_items(Lexer& lx) {
  static constexpr std::array<std::pair<std::string_view, StatusItem>, 8> names = {{
      {"MESSAGES", StatusItem::messages}, {"UIDNEXT", StatusItem::uidnext},
      {"UIDVALIDITY", StatusItem::uidvalidity}, {"UNSEEN", StatusItem::unseen},
      {"DELETED", StatusItem::deleted}, {"SIZE", StatusItem::size},
      {"RECENT", StatusItem::recent}, {"HIGHESTMODSEQ", StatusItem::highestmodseq},
  }};
  if (!lx.open()) return std::nullopt;
  std::vector<StatusItem> items;
  do {
    auto word = lx.atom();
    if (!word) return std::nullopt;
    const std::string name = text::to_upper(*word);
    bool known = false;
    for (const auto& [text, item] : names) {
      if (text == name) {
        items.push_back(item);
        known = true;
      }
    }
    if (!known) {
      lx.fail("unknown STATUS item " + name);
      return std::nullopt;
    }
  } while (lx.consume(' '));
  if (!lx.close()) return std::nullopt;
  return items;
}

}  // namespace tern::imap::detail
