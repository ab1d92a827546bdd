// Modified UTF-7 mailbox names (RFC 3501 5.1.3), sequence sets and dates.
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/protocol/mailbox_name.hpp"
#include "imap/protocol/response.hpp"

namespace tern::imap {
namespace {

TEST(ImapMailboxName, ModifiedUtf7RoundTrips) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"INBOX", "INBOX"},
      {"&", "&-"},
      {"a&b", "a&-b"},
      {"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
       "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"\xf0\x9f\x93\xa7 Mail", "&2D3c5w- Mail"},  // outside the BMP: a surrogate pair
      {"Gesendete Objekte", "Gesendete Objekte"},
  };
  for (const auto& [utf8, wire] : pairs) {
    EXPECT_EQ(encode_modified_utf7(utf8), wire) << wire;
    EXPECT_EQ(decode_modified_utf7(wire), utf8) << wire;
  }
}

TEST(ImapMailboxName, InvalidEncodingsAreRefused) {
  for (const std::string bad : {
           "&",              // unterminated
           "&APw",           // unterminated run
           "&AGE-",          // "a" in base64
           "&APw-&APw-",     // two adjacent runs
           "&APy-",          // leftover bits not zero
           "&2D0-",          // lone high surrogate
           "&3-c-",          // not whole code units
           "&A=w-",          // not in the alphabet
           "\xc3\xbc",       // 8-bit octets
           "a\tb",           // control character
       }) {
    EXPECT_FALSE(decode_modified_utf7(bad)) << bad;
  }
  EXPECT_FALSE(encode_modified_utf7("\xc3"));
  EXPECT_FALSE(encode_modified_utf7("\xed\xa0\x80"));  // an encoded surrogate
}

TEST(ImapMailboxName, Utf8AndInboxNames) {
  EXPECT_EQ(decode_mailbox_name("inbox", false), "INBOX");
  EXPECT_EQ(decode_mailbox_name("InBoX", true), "INBOX");
  EXPECT_EQ(decode_mailbox_name("Entw&APw-rfe", false), "Entw\xc3\xbcrfe");
  EXPECT_EQ(decode_mailbox_name("Entw\xc3\xbcrfe", true), "Entw\xc3\xbcrfe");
  EXPECT_EQ(decode_mailbox_name("a&b", true), "a&b");
  EXPECT_FALSE(decode_mailbox_name("\xff", true));
  EXPECT_FALSE(decode_mailbox_name("Entw\xc3\xbcrfe", false));
  EXPECT_EQ(encode_mailbox_name("Entw\xc3\xbcrfe", false), "Entw&APw-rfe");
  EXPECT_EQ(encode_mailbox_name("Entw\xc3\xbcrfe", true), "Entw\xc3\xbcrfe");
}

TEST(ImapSequenceSet, ParsesAndMatches) {
  auto set = parse_sequence_set("1:*,3,5:7");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->ranges.size(), 3u);
  EXPECT_EQ(set->ranges[0], (SequenceRange{1, star}));
  EXPECT_EQ(format_sequence_set(*set), "1:*,3,5:7");
  set = parse_sequence_set("9:4");
  ASSERT_TRUE(set);
  EXPECT_TRUE(contains(*set, 4, 10));
  EXPECT_TRUE(contains(*set, 9, 10));
  EXPECT_FALSE(contains(*set, 10, 10));
  EXPECT_TRUE(contains(*parse_sequence_set("*"), 12, 12));
  EXPECT_TRUE(contains(*parse_sequence_set("*:4"), 5, 12));
  EXPECT_TRUE(parse_sequence_set("$")->saved);
  EXPECT_EQ(parse_sequence_set("4294967295")->ranges[0].first, 4294967295u);
  for (const std::string bad : {"", "0", "1:0", "01", "1,", ",1", "1::2", "4294967296", "1:$", "$,1", "a", "1:"}) {
    EXPECT_FALSE(parse_sequence_set(bad)) << bad;
  }
}

TEST(ImapSequenceSet, CompactsNumbers) {
  EXPECT_EQ(compact_sequence_set({}), "");
  EXPECT_EQ(compact_sequence_set({7, 1, 2, 3, 4, 5, 5}), "1:5,7");
  EXPECT_EQ(compact_sequence_set({10, 12, 11, 20}), "10:12,20");
  EXPECT_EQ(compact_sequence_set({4294967295u, 4294967294u}), "4294967294:4294967295");
}

TEST(ImapDates, DateTimes) {
  auto parse = [](const std::string& text) {
    Lexer lx(text, 32);
    return lx.date_time();
  };
  auto dt = parse("\"01-Jul-2024 12:00:00 +0000\"");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->date, (Date{2024, 7, 1}));
  EXPECT_EQ(dt->hour, 12);
  EXPECT_EQ(parse("\" 1-Jul-2024 23:59:60 -0530\"")->zone_minutes, -330);
  EXPECT_EQ(parse("\"29-Feb-2000 00:00:00 +0100\"")->date, (Date{2000, 2, 29}));
  for (const std::string bad : {"\"29-Feb-1900 00:00:00 +0000\"", "\"01-Jul-2024 24:00:00 +0000\"",
                                "\"01-Jul-2024 12:00 +0000\"", "\"01-Jul-2024 12:00:00 0000\"",
                                "\"01-Jul-24 12:00:00 +0000\"", "01-Jul-2024 12:00:00 +0000",
                                "\"01-Jul-2024 12:00:00 +0060\"", "\"00-Jul-2024 12:00:00 +0000\""}) {
    EXPECT_FALSE(parse(bad)) << bad;
  }
  for (const DateTime& written : {DateTime{{2024, 7, 1}, 12, 0, 5, 0}, DateTime{{1999, 12, 31}, 23, 59, 59, -330},
                             DateTime{{2000, 2, 29}, 0, 0, 0, 840}}) {
    EXPECT_EQ(parse(format_date_time(written)), written);  // what INTERNALDATE sends, APPEND reads back
  }
  Lexer lx("1-jul-2024", 32);
  EXPECT_EQ(lx.date(), (Date{2024, 7, 1}));
}

}  // namespace
}  // namespace tern::imap
