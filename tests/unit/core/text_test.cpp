// Tests for core/text: ASCII-only case handling (bytes >= 0x80 untouched),
// the case-insensitive hash/equality pair, trimming and civil dates.
#include "core/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace tern::text {
namespace {

TEST(Text, AsciiFoldingTouchesOnlyLetters) {
  for (int i = 0; i < 256; ++i) {
    const auto c = static_cast<char>(i);
    const char lower = i >= 'A' && i <= 'Z' ? static_cast<char>(i + 32) : c;
    const char upper = i >= 'a' && i <= 'z' ? static_cast<char>(i - 32) : c;
    EXPECT_EQ(ascii_lower(c), lower) << i;
    EXPECT_EQ(ascii_upper(c), upper) << i;
  }
  static_assert(ascii_lower('Q') == 'q' && ascii_upper('q') == 'Q');
}

TEST(Text, ToLowerAndUpper) {
  EXPECT_EQ(to_lower("MAIL From:<A@B.Example>"), "mail from:<a@b.example>");
  EXPECT_EQ(to_upper("uid fetch 1:* (Body[])"), "UID FETCH 1:* (BODY[])");
  EXPECT_EQ(to_lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // UTF-8 "ÉTÉ": only the T folds
  EXPECT_EQ(to_upper(""), "");
  std::string s = "Content-Type";
  lower_in_place(s);
  EXPECT_EQ(s, "content-type");
  upper_in_place(s);
  EXPECT_EQ(s, "CONTENT-TYPE");
}

struct Pair {
  std::string_view a, b;
  bool equal;
};

TEST(Text, Iequals) {
  const Pair cases[] = {
      {"", "", true},
      {"EHLO", "ehlo", true},
      {"Content-Type", "cONTENT-tYPE", true},
      {"EHLO", "EHL", false},
      {"HELO", "EHLO", false},
      {"@", "`", false},  // 0x40 and 0x60 differ by the case bit but are not letters
      {"[", "{", false},
      {"\xC3\xA9", "\xC3\x89", false},  // é and É: not ASCII, compared as bytes
      {"\xC3\xA9", "\xC3\xA9", true},
      {std::string_view("a\0B", 3), std::string_view("A\0b", 3), true},
  };
  for (const auto& [a, b, equal] : cases) {
    EXPECT_EQ(iequals(a, b), equal) << a << " / " << b;
    EXPECT_EQ(IEqual{}(b, a), equal) << a << " / " << b;
  }
}

TEST(Text, IstartsWith) {
  const Pair cases[] = {
      {"AUTH PLAIN", "auth ", true}, {"x", "", true},          {"Received", "RECEIVED", true},
      {"AUT", "auth", false},        {"MAIL", "RCPT", false},
  };
  for (const auto& [text, prefix, starts] : cases) EXPECT_EQ(istarts_with(text, prefix), starts) << text;
}

TEST(Text, CaseInsensitiveMap) {
  std::unordered_map<std::string, int, IHash, IEqual> map;
  map["Subject"] = 1;
  map["SUBJECT"] += 1;
  map["To"] = 5;
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.at("subject"), 2);
  EXPECT_EQ(IHash{}("Message-ID"), IHash{}("message-id"));
  EXPECT_NE(IHash{}("a"), IHash{}("b"));
}

TEST(Text, Trim) {
  struct Case {
    std::string_view in, left, right, both;
  };
  const Case cases[] = {
      {"  \t value \r\n", "value \r\n", "  \t value", "value"},
      {"  a b  ", "a b  ", "  a b", "a b"},
      {" \t\r\n\v\f", "", "", ""},
      {"", "", "", ""},
      {"x", "x", "x", "x"},
      {"\xA0x\xA0", "\xA0x\xA0", "\xA0x\xA0", "\xA0x\xA0"},  // a non-ASCII byte is not white space
  };
  for (const auto& c : cases) {
    EXPECT_EQ(trim_left(c.in), c.left) << c.in;
    EXPECT_EQ(trim_right(c.in), c.right) << c.in;
    EXPECT_EQ(trim(c.in), c.both) << c.in;
  }
  // Only the given characters go.
  EXPECT_EQ(trim_right("Subject \t", wsp), "Subject");
  EXPECT_EQ(trim_right("line\r\n", "\r\n"), "line");
  EXPECT_EQ(trim_left(" \r x", wsp), "\r x");
  // The result is a view into the argument.
  const std::string_view in = "  abc ";
  EXPECT_EQ(trim(in).data(), in.data() + 2);
}

TEST(Text, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1970, 1, 2), 1);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);   // after a century leap day
  EXPECT_EQ(days_from_civil(2000, 2, 29), 11016);
  EXPECT_EQ(days_from_civil(2038, 1, 19), 24855);  // 2^31 seconds fall on this day
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // 1900 is not leap
  EXPECT_EQ(days_from_civil(1601, 1, 1), -134774);
}

}  // namespace
}  // namespace tern::text
