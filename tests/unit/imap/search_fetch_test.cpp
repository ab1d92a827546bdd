// SEARCH criteria trees and FETCH items (RFC 9051 6.4.4, 6.4.5).
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace tern::imap {
namespace {

using testing::parse_as;
using Kind = SearchKey::Kind;

// A compact rendering of a search tree, to compare whole trees at once.
std::string render(const SearchKey& key) {
  static const char* names[] = {"and", "ALL", "ANSWERED", "BCC", "BEFORE", "BODY", "CC", "DELETED", "DRAFT",
                                "FLAGGED", "FROM", "HEADER", "KEYWORD", "LARGER", "NEW", "NOT", "OLD", "ON",
                                "OR", "RECENT", "SEEN", "SENTBEFORE", "SENTON", "SENTSINCE", "SINCE", "SMALLER",
                                "SUBJECT", "TEXT", "TO", "UID", "UNANSWERED", "UNDELETED", "UNDRAFT",
                                "UNFLAGGED", "UNKEYWORD", "UNSEEN", "set", "MODSEQ"};
  std::string out = names[static_cast<int>(key.kind)];
  if (!key.field.empty()) out += ":" + key.field;
  if (!key.value.empty()) out += "=" + key.value;
  if (key.number) out += "#" + std::to_string(key.number);
  if (key.date.year) {
    out += "@" + std::to_string(key.date.year) + "-" + std::to_string(key.date.month) + "-" +
           std::to_string(key.date.day);
  }
  if (key.kind == Kind::uid || key.kind == Kind::sequence_set) out += "{" + format_sequence_set(key.set) + "}";
  if (!key.children.empty()) {
    out += "(";
    for (std::size_t i = 0; i < key.children.size(); ++i) out += (i ? " " : "") + render(key.children[i]);
    out += ")";
  }
  return out;
}

std::string tree(const std::string& criteria) {
  return render(parse_as<command::Search>("a SEARCH " + criteria + "\r\n").criteria);
}

TEST(ImapSearch, EveryKey) {
  EXPECT_EQ(tree("ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN"),
            "and(ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN)");
  EXPECT_EQ(tree("UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN"),
            "and(UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN)");
  EXPECT_EQ(tree("BCC a CC \"b c\" FROM alice SUBJECT {5}\r\nhello TEXT x TO bob BODY y"),
            "and(BCC=a CC=b c FROM=alice SUBJECT=hello TEXT=x TO=bob BODY=y)");
  EXPECT_EQ(tree("HEADER List-Id \"<x.y>\" KEYWORD $Junk UNKEYWORD work"),
            "and(HEADER:List-Id=<x.y> KEYWORD:$Junk UNKEYWORD:work)");
  EXPECT_EQ(tree("BEFORE 1-Jul-2024 ON \"02-Aug-2024\" SINCE 29-Feb-2024"),
            "and(BEFORE@2024-7-1 ON@2024-8-2 SINCE@2024-2-29)");
  EXPECT_EQ(tree("SENTBEFORE 1-jan-2000 SENTON 1-JAN-2000 SENTSINCE 31-Dec-1999"),
            "and(SENTBEFORE@2000-1-1 SENTON@2000-1-1 SENTSINCE@1999-12-31)");
  EXPECT_EQ(tree("LARGER 1000 SMALLER 5000000000"), "and(LARGER#1000 SMALLER#5000000000)");
  EXPECT_EQ(tree("MODSEQ 9223372036854775807"), "and(MODSEQ#9223372036854775807)");
  EXPECT_EQ(testing::parse_bad("a SEARCH MODSEQ 9223372036854775808\r\n").reason, "SEARCH: number too large");
  EXPECT_EQ(testing::parse_bad("a SEARCH LARGER 9223372036854775809\r\n").reason, "SEARCH: number too large");
  EXPECT_EQ(tree("UID 1:5,9 2:* $"), "and(UID{1:5,9} set{2:*} set{$})");
  EXPECT_EQ(tree("MODSEQ 620162338 MODSEQ \"/flags/\\\\draft\" all 620162338"),
            "and(MODSEQ#620162338 MODSEQ#620162338)");
}

TEST(ImapSearch, NotOrAndGroups) {
  EXPECT_EQ(tree("NOT SEEN"), "and(NOT(SEEN))");
  EXPECT_EQ(tree("OR SEEN FLAGGED"), "and(OR(SEEN FLAGGED))");
  EXPECT_EQ(tree("OR (FROM a SINCE 1-Jan-2024) NOT (TO b OR DRAFT DELETED) UNSEEN"),
            "and(OR(and(FROM=a SINCE@2024-1-1) NOT(and(TO=b OR(DRAFT DELETED)))) UNSEEN)");
  EXPECT_EQ(tree("OR OR SEEN DRAFT NOT NOT DELETED"), "and(OR(OR(SEEN DRAFT) NOT(NOT(DELETED))))");
}

TEST(ImapSearch, ReturnOptionsAndCharset) {
  auto s = parse_as<command::Search>("a SEARCH RETURN (MIN MAX ALL COUNT SAVE) CHARSET UTF-8 SUBJECT x\r\n");
  ASSERT_TRUE(s.return_options);
  EXPECT_EQ(s.return_options->size(), 5u);
  EXPECT_EQ(s.charset, "UTF-8");
  s = parse_as<command::Search>("a SEARCH RETURN () ALL\r\n");
  ASSERT_TRUE(s.return_options);
  EXPECT_TRUE(s.return_options->empty());
  EXPECT_FALSE(parse_as<command::Search>("a SEARCH ALL\r\n").return_options);
  EXPECT_EQ(render(parse_as<command::Search>("a SEARCH SUBJECT \"Entw\xc3\xbcrfe\"\r\n").criteria),
            "and(SUBJECT=Entw\xc3\xbcrfe)");
}

std::vector<FetchItem> items(const std::string& text) { return parse_as<command::Fetch>("a FETCH " + text + "\r\n").items; }

TEST(ImapFetch, MacrosAndSimpleItems) {
  EXPECT_EQ(items("1 ALL").size(), 4u);
  EXPECT_EQ(items("1 FAST").size(), 3u);
  EXPECT_EQ(items("1 FULL").back().kind, FetchItem::Kind::body);
  const auto all = items(
      "1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID RFC822 RFC822.HEADER RFC822.TEXT "
      "MODSEQ)");
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(all[5].kind, FetchItem::Kind::bodystructure);
  EXPECT_EQ(all[9].kind, FetchItem::Kind::rfc822_text);
  EXPECT_EQ(all[10].kind, FetchItem::Kind::modseq);
  EXPECT_EQ(items("1 uid")[0].kind, FetchItem::Kind::uid);
}

TEST(ImapFetch, Sections) {
  using Text = mime::SectionSpec::Text;
  auto it = items("1 BODY[]")[0];
  EXPECT_EQ(it.kind, FetchItem::Kind::body_section);
  EXPECT_FALSE(it.peek);
  EXPECT_TRUE(it.section.path.empty());
  it = items("1 BODY.PEEK[1.2.TEXT]<0.2048>")[0];
  EXPECT_TRUE(it.peek);
  EXPECT_EQ(it.section.path, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(it.section.text, Text::text);
  EXPECT_EQ(it.partial, std::pair(0u, 2048u));
  it = items("1 (BODY.PEEK[HEADER.FIELDS (From \"To\" {2}\r\nCc)])")[0];
  EXPECT_EQ(it.section.text, Text::header_fields);
  EXPECT_EQ(it.section.fields, (std::vector<std::string>{"From", "To", "Cc"}));
  EXPECT_EQ(items("1 BODY[HEADER.FIELDS.NOT (Bcc)]")[0].section.text, Text::header_fields_not);
  EXPECT_EQ(items("1 BODY[2.MIME]")[0].section.text, Text::mime);
  EXPECT_EQ(items("1 BODY[3]")[0].section.path, std::vector<std::uint32_t>{3});
  EXPECT_EQ(items("1 BODY[HEADER]")[0].section.text, Text::header);
}

TEST(ImapFetch, BinaryAndModifiers) {
  auto it = items("1 (BINARY.PEEK[1.1]<10.20> BINARY.SIZE[2] BINARY[])");
  ASSERT_EQ(it.size(), 3u);
  EXPECT_EQ(it[0].kind, FetchItem::Kind::binary);
  EXPECT_TRUE(it[0].peek);
  EXPECT_EQ(it[0].part, (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(it[1].kind, FetchItem::Kind::binary_size);
  EXPECT_TRUE(it[2].part.empty());
  auto f = parse_as<command::Fetch>("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
  EXPECT_EQ(f.changed_since, 12345u);
  EXPECT_TRUE(f.vanished);
}

}  // namespace
}  // namespace tern::imap
