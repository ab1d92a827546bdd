// Tests for core/address: the RFC 5321 4.1.2 grammar, size limits, domain
// rules and the canonical form used as store keys.
#include "core/address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::address {
namespace {

std::string error_of(const Result<Address>& r) { return r ? std::string("(ok)") : r.error().message; }
std::string error_of(const Result<std::string>& r) { return r ? std::string("(ok)") : r.error().message; }

TEST(NormalizeDomain, AcceptsAndLowerCases) {
  auto r = normalize_domain("Mail.Example.COM");
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(*r, "mail.example.com");
  EXPECT_EQ(*normalize_domain("a-b.c0.example"), "a-b.c0.example");
  EXPECT_EQ(*normalize_domain("123.example"), "123.example");
  EXPECT_EQ(*normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
}

TEST(NormalizeDomain, LengthLimits) {
  std::string label63(63, 'a');
  EXPECT_TRUE(normalize_domain(label63 + ".com"));
  auto too_long_label = normalize_domain(std::string(64, 'a') + ".com");
  ASSERT_FALSE(too_long_label);
  EXPECT_EQ(too_long_label.error().code, Errc::invalid);
  EXPECT_NE(error_of(too_long_label).find("domain label longer than 63 octets"), std::string::npos);

  // 4 labels of 63 + 3 dots = 255 > 253
  std::string long_domain = label63 + "." + label63 + "." + label63 + "." + label63;
  auto too_long = normalize_domain(long_domain);
  ASSERT_FALSE(too_long);
  EXPECT_NE(error_of(too_long).find("longer than 253"), std::string::npos);
  // 63+1+63+1+63+1+61 = 253 is fine
  EXPECT_TRUE(normalize_domain(label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b')));
}

TEST(NormalizeDomain, RejectsBadShapes) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"localhost", "at least two labels"},
      {"example.com.", "ends with a dot"},
      {".example.com", "empty label"},
      {"example..com", "empty label"},
      {"-example.com", "hyphen"},
      {"example-.com", "hyphen"},
      {"exa_mple.com", "invalid character '_'"},
      {"exa mple.com", "invalid character space"},
      {"example.com\n", "invalid character 0x0a"},
      {"[127.0.0.1]", "address literals"},
      {"1.2.3.4", "all digits"},
      {"a@b.com", "invalid character '@'"},
  };
  for (const auto& c : cases) {
    auto r = normalize_domain(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.text << " -> " << r.error().message;
  }
}

TEST(NormalizeDomain, RejectsNulInsideText) {
  std::string with_nul("exam\0ple.com", 12);
  auto r = normalize_domain(with_nul);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0x00"), std::string::npos);
}

TEST(NormalizeDomain, ULabelsAskForALabels) {
  auto r = normalize_domain("b\xc3\xbc" "cher.example");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("xn--"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("A-label"), std::string::npos);
}

TEST(Parse, SimpleDotString) {
  auto r = parse("John.Doe@Example.COM");
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "John.Doe");
  EXPECT_EQ(r->domain, "example.com");
  EXPECT_EQ(r->str(), "John.Doe@example.com");
  EXPECT_EQ(canonical(*r), "john.doe@example.com");
}

TEST(Parse, AllAtextCharacters) {
  auto r = parse("!#$%&'*+-/=?^_`{|}~@example.com");
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "!#$%&'*+-/=?^_`{|}~");
  EXPECT_EQ(r->str(), "!#$%&'*+-/=?^_`{|}~@example.com");
  EXPECT_TRUE(parse("user+tag@example.com"));
  EXPECT_TRUE(parse("a%b@example.com"));  // legal syntax; policy decides
}

TEST(Parse, QuotedStringKeptUnquotedWhenPossible) {
  auto r = parse("\"john\"@example.com");
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "john");
  EXPECT_EQ(r->str(), "john@example.com");
}

TEST(Parse, QuotedStringNeedingQuotes) {
  auto r = parse(R"("john doe"@example.com)");
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "john doe");
  EXPECT_EQ(r->str(), R"("john doe"@example.com)");

  auto escaped = parse(R"("a\"b\\c@d"@example.com)");
  ASSERT_TRUE(escaped) << error_of(escaped);
  EXPECT_EQ(escaped->local, R"(a"b\c@d)");
  EXPECT_EQ(escaped->str(), R"("a\"b\\c@d"@example.com)");

  auto dots = parse(R"(".a..b."@example.com)");
  ASSERT_TRUE(dots) << error_of(dots);
  EXPECT_EQ(dots->str(), R"(".a..b."@example.com)");

  // a quoted-pair of an ordinary character is the character
  auto pair = parse(R"("\a"@example.com)");
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->local, "a");
}

TEST(Parse, StrRoundTrips) {
  for (const char* text : {"a@b.example", R"("x y"@b.example)", R"("a\"b"@b.example)", "a.b.c@b.example"}) {
    auto first = parse(text);
    ASSERT_TRUE(first) << text;
    auto second = parse(first->str());
    ASSERT_TRUE(second) << first->str();
    EXPECT_EQ(second->local, first->local);
    EXPECT_EQ(second->str(), first->str());
  }
}

TEST(Parse, RejectsBadLocalParts) {
  struct Case {
    std::string text;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"no-at-sign.example.com", "no '@'"},
      {"@example.com", "local part is empty"},
      {"\"\"@example.com", "local part is empty"},
      {".john@example.com", "starts with a dot"},
      {"john.@example.com", "ends with a dot"},
      {"jo..hn@example.com", "two dots"},
      {"jo hn@example.com", "invalid character space"},
      {"jo(hn)@example.com", "invalid character '('"},
      {"jo\"hn@example.com", "invalid character '\"'"},
      {"jo\\hn@example.com", "invalid character '\\'"},
      {"jo\x01hn@example.com", "0x01"},
      {std::string("jo\0hn@example.com", 17), "0x00"},
      {"\"unterminated@example.com", "no closing quote"},
      {"\"a\"b@example.com", "expected '@'"},
      {"\"a\"", "expected '@'"},
      {"\"tab\there\"@example.com", "0x09"},
      {"\"a\\\x01\"@example.com", "after backslash"},
      {std::string("\"nul\0\"@example.com", 18), "0x00"},
      {"john@", "domain is empty"},
      {"john@localhost", "at least two labels"},
      {"john@example.com.", "ends with a dot"},
      {"a@b@example.com", "invalid character '@'"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, Errc::invalid);
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << c.text << " -> " << r.error().message;
  }
}

TEST(Parse, LocalPartLimitIs64Octets) {
  EXPECT_TRUE(parse(std::string(64, 'a') + "@example.com"));
  auto r = parse(std::string(65, 'a') + "@example.com");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("longer than 64"), std::string::npos);
  // the quotes count: they are part of the local part as written
  auto quoted = parse("\"" + std::string(63, 'a') + "\"@example.com");
  ASSERT_FALSE(quoted);
  EXPECT_TRUE(parse("\"" + std::string(62, 'a') + "\"@example.com"));
}

TEST(Parse, CatchAllOnlyWhenAllowed) {
  EXPECT_FALSE(parse("@example.com"));
  ParseOptions options;
  options.allow_catch_all = true;
  auto r = parse("@Example.com", options);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "");
  EXPECT_EQ(r->str(), "@example.com");
  EXPECT_EQ(canonical(*r), "@example.com");
}

TEST(Parse, Utf8OnlyWithSmtputf8) {
  std::string text = "j\xc3\xb6rg@example.com";  // jörg
  auto plain = parse(text);
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("SMTPUTF8"), std::string::npos);

  ParseOptions utf8;
  utf8.allow_utf8 = true;
  auto r = parse(text, utf8);
  ASSERT_TRUE(r) << error_of(r);
  EXPECT_EQ(r->local, "j\xc3\xb6rg");
  EXPECT_EQ(r->str(), text);
  // four-byte sequence (U+1F600) and a three-byte one (U+20AC)
  EXPECT_TRUE(parse("\xf0\x9f\x98\x80@example.com", utf8));
  EXPECT_TRUE(parse("\xe2\x82\xac.x@example.com", utf8));
  EXPECT_TRUE(parse("\"j\xc3\xb6 rg\"@example.com", utf8));
  // Only ASCII letters fold in the canonical form.
  EXPECT_EQ(canonical(*parse("J\xc3\x96RG@example.com", utf8)), "j\xc3\x96rg@example.com");
}

TEST(Parse, RejectsInvalidUtf8) {
  ParseOptions utf8;
  utf8.allow_utf8 = true;
  const std::string bad[] = {
      "\xc0\xaf@example.com",          // overlong '/'
      "\xe0\x80\xaf@example.com",      // overlong, three bytes
      "\xf0\x80\x80\xaf@example.com",  // overlong, four bytes
      "\xed\xa0\x80@example.com",      // surrogate U+D800
      "\xf4\x90\x80\x80@example.com",  // beyond U+10FFFF
      "\x80@example.com",              // lone continuation
      "\xc3@example.com",              // truncated
      "\xe2\x82@example.com",          // truncated
      "\xff@example.com",
  };
  for (const auto& text : bad) {
    auto r = parse(text, utf8);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find("not valid UTF-8"), std::string::npos) << r.error().message;
  }
}

TEST(Canonical, FoldsAsciiCaseAndKeepsQuotes) {
  EXPECT_EQ(canonical(*parse("Alice@EXAMPLE.com")), "alice@example.com");
  EXPECT_EQ(canonical(*parse("\"Alice\"@example.com")), "alice@example.com");
  EXPECT_EQ(canonical(*parse(R"("Al ice"@example.com)")), R"("al ice"@example.com)");
  EXPECT_EQ(canonical(Address{"Bob", "Example.Org"}), "bob@example.org");
}

}  // namespace
}  // namespace tern::address
