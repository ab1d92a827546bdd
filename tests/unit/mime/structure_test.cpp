// Focused tests of the MIME layer beyond the Dovecot corpus: malformed input,
// limits, sections, decoding, serialization.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "mime/address.hpp"
#include "mime/content_type.hpp"
#include "mime/decode.hpp"
#include "mime/imap_format.hpp"
#include "mime/message.hpp"
#include "mime/section.hpp"
#include "mime/text.hpp"

namespace tern::mime {
namespace {

std::string body_of(std::string_view msg, std::string_view section) {
  auto parts = parse_parts(msg);
  auto spec = parse_section(section);
  EXPECT_TRUE(spec) << section;
  return fetch_section(msg, parts, *spec).value_or("<none>");
}

TEST(MimeText, CanonicalizesLineEndings) {
  EXPECT_EQ(canonicalize_line_endings("a\nb\r\nc\r\r\nd\re"), "a\r\nb\r\nc\r\nd\re");
  EXPECT_EQ(canonicalize_line_endings(""), "");
}

TEST(MimeStructure, NestedMultipartOffsets) {
  std::string m =
      "Content-Type: multipart/mixed; boundary=a\r\n\r\npreamble\r\n--a\r\n\r\none\r\n"
      "--a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\ntwo\r\n--b--\r\n"
      "--a--\r\nepilogue\r\n";
  auto parts = parse_parts(m);
  ASSERT_EQ(parts.size(), 4u);  // message, 1, 2, 2.1
  EXPECT_EQ(body_of(m, "1"), "one");
  EXPECT_EQ(body_of(m, "2.1"), "two");
  EXPECT_EQ(body_of(m, "2"), "--b\r\n\r\ntwo\r\n--b--\r\n");
  EXPECT_EQ(body_of(m, "3"), "<none>");
  EXPECT_EQ(body_of(m, "2.MIME"), "Content-Type: multipart/alternative; boundary=b\r\n\r\n");
}

TEST(MimeStructure, MalformedInputsStayBounded) {
  // Unclosed nesting far past the depth limit.
  std::string m;
  for (int i = 0; i < 500; ++i) {
    std::string b = "x" + std::to_string(i) + ".";
    m += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n";
  }
  auto parts = parse_parts(m);
  std::size_t max_depth = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::size_t d = 0;
    for (auto p = parts[i].parent; p != no_parent; p = parts[p].parent) ++d;
    max_depth = std::max(max_depth, d);
  }
  EXPECT_LE(max_depth, 100u);
  EXPECT_LE(parts.size(), 102u);
  auto st = analyze_message(m);
  EXPECT_FALSE(st.bodystructure.empty());
  // Many parts: the part limit holds.
  std::string many = "Content-Type: multipart/mixed; boundary=p\r\n\r\n";
  for (int i = 0; i < 300; ++i) many += "--p\r\n\r\nx\r\n";
  Limits small;
  small.max_parts = 50;
  EXPECT_LE(parse_parts(many, small).size(), 50u);
  // Garbage and NULs never break the parse.
  std::string junk("\0\r\n\r\n--\0--\n\n:\r", 13);
  auto j = analyze_message(canonicalize_line_endings(junk));
  EXPECT_EQ(j.parts.size(), 1u);
  // message/rfc822 without any header end: all header.
  std::string rfc = "Content-Type: message/rfc822\r\n\r\nFrom: a@b\r\nSubject: x";
  auto r = parse_parts(rfc);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].body_size, 0u);
  EXPECT_EQ(body_of(rfc, "1.HEADER"), "From: a@b\r\nSubject: x");
}

TEST(MimeStructure, LargeInputIsLinear) {
  std::string m = "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n";
  for (int i = 0; i < 200000; ++i) m += "--q-not-really-a-boundary-but-close\r\n";
  m += "--q--\r\n";
  auto start = std::chrono::steady_clock::now();
  auto st = analyze_message(m);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 5000);
  EXPECT_GT(st.parts.size(), 1000u);  // every "--q..." line is a delimiter (Dovecot's prefix rule)
}

TEST(MimeSection, ParsesSpecs) {
  auto s = parse_section("1.2.HEADER.FIELDS (From \"To\")");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(s->text, SectionSpec::Text::header_fields);
  EXPECT_EQ(s->fields, (std::vector<std::string>{"From", "To"}));
  EXPECT_FALSE(parse_section("MIME"));
  EXPECT_FALSE(parse_section("0"));
  EXPECT_FALSE(parse_section("1.BOGUS"));
  EXPECT_FALSE(parse_section("HEADER.FIELDS ()"));
  EXPECT_TRUE(parse_section(""));
  EXPECT_EQ(apply_partial("hello", 1, 3), "ell");
  EXPECT_EQ(apply_partial("hello", 9, 3), "");
}

TEST(MimeSection, HeaderFieldsKeepFoldingAndOrder) {
  std::string m = "A: 1\r\nB: 2\r\n 2b\r\nA: 3\r\n\r\nbody";
  EXPECT_EQ(body_of(m, "HEADER.FIELDS (a)"), "A: 1\r\nA: 3\r\n\r\n");
  EXPECT_EQ(body_of(m, "HEADER.FIELDS.NOT (A)"), "B: 2\r\n 2b\r\n\r\n");
  EXPECT_EQ(body_of(m, "TEXT"), "body");
}

TEST(MimeBinary, DecodesAndReportsBrokenData) {
  std::string m = "Content-Transfer-Encoding: base64\r\n\r\nAGFi\r\n";
  auto r = fetch_binary(m, parse_parts(m), {1});
  EXPECT_EQ(r.status, BinaryResult::Status::ok);
  EXPECT_EQ(r.data, std::string("\0ab", 3));
  EXPECT_TRUE(r.needs_literal8);
  std::string bad = "Content-Transfer-Encoding: base64\r\n\r\nAG!Fi\r\n";
  EXPECT_EQ(fetch_binary(bad, parse_parts(bad), {1}).status, BinaryResult::Status::parse_error);
  std::string uu = "Content-Transfer-Encoding: x-uue\r\n\r\nbegin\r\n";
  EXPECT_EQ(fetch_binary(uu, parse_parts(uu), {1}).status, BinaryResult::Status::unknown_encoding);
  EXPECT_EQ(fetch_binary(uu, parse_parts(uu), {2}).status, BinaryResult::Status::no_such_part);
}

TEST(MimeDecode, QuotedPrintable) {
  auto d = decode_quoted_printable("caf=C3=A9 =\r\nsoft  \r\nx=3d");
  EXPECT_TRUE(d.valid);
  EXPECT_EQ(d.data, "caf\xC3\xA9 soft\r\nx=");
  EXPECT_FALSE(decode_quoted_printable("=ZZ").valid);
  EXPECT_FALSE(decode_quoted_printable("end =4").valid);
}

TEST(MimeDecode, EncodedWordsAndCharsets) {
  EXPECT_EQ(decode_header_value("=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_cr=C3=A8me?= now"), "Caf\xC3\xA9 cr\xC3\xA8me now");
  EXPECT_EQ(decode_header_value("=?ISO-8859-1?B?SvxyZ2Vu?="), "J\xC3\xBCrgen");
  EXPECT_EQ(decode_header_value("=?utf-8?X?bad?= plain"), "=?utf-8?X?bad?= plain");
  EXPECT_EQ(decode_header_value("=?x-unknown?Q?abc?="), "abc");
  EXPECT_EQ(to_utf8("caf\xE9", "windows-1252"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8("ok\xFF", "utf-8"), "ok\xEF\xBF\xBD");
}

TEST(MimeDecode, MessageTextForSearch) {
  std::string m = canonicalize_line_endings(
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nContent-Type: multipart/mixed; boundary=z\n\n--z\n"
      "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nK=F6ln\n"
      "--z\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nc2VjcmV0\n--z--\n");
  auto parts = parse_parts(m);
  std::string body = message_text(m, parts, false);
  EXPECT_NE(body.find("K\xC3\xB6ln"), std::string::npos);
  EXPECT_EQ(body.find("secret"), std::string::npos);  // not text
  EXPECT_NE(message_text(m, parts, true).find("Gr\xC3\xBC\xC3\x9F" "e"), std::string::npos);
}

TEST(MimeFormat, QuotingRules) {
  std::string out;
  append_nstring(out, std::nullopt);
  append_nstring(out, "a\"b");
  append_nstring(out, "\"\"\"\"\"");
  append_nstring(out, "\xC3\xA9");
  EXPECT_EQ(out, "NIL\"a\\\"b\"{5}\r\n\"\"\"\"\"{2}\r\n\xC3\xA9");
  out.clear();
  append_string_for_humans(out, "a\r\n\tb   c ");
  EXPECT_EQ(out, "{5}\r\na b c");
}

TEST(MimeAddress, GroupsRoutesAndFallbacks) {
  auto list = parse_address_list("A Group:Ed <c@a.test>,joe@x.test;, <@r1,@r2:bob@y.test>, carol (Carol C)");
  ASSERT_EQ(list.size(), 6u);
  EXPECT_EQ(list[0].mailbox, "A Group");
  EXPECT_FALSE(list[0].host);
  EXPECT_EQ(list[1].name, "Ed");
  EXPECT_FALSE(list[3].mailbox);  // group end
  EXPECT_EQ(list[4].route, "@r1,@r2");
  EXPECT_EQ(list[5].name, "Carol C");
  EXPECT_EQ(list[5].host, "MISSING_DOMAIN");
  EXPECT_TRUE(parse_address_list("").empty());
  EXPECT_EQ(parse_address_list("<<<>>>,,,;;;").size() >= 1, true);
}

TEST(MimeContentType, ParametersAndRfc2231) {
  auto ct = parse_content_type("TEXT/Plain (c) ; CHARSET = \"x\" (y); a*1*=b; a*0*=us-ascii''a; c=d");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->type, "TEXT");
  ASSERT_EQ(ct->params.size(), 3u);
  EXPECT_EQ(ct->params[0], (std::pair<std::string, std::string>{"CHARSET", "x"}));
  EXPECT_EQ(ct->params[2], (std::pair<std::string, std::string>{"a*", "us-ascii''ab"}));
  EXPECT_FALSE(parse_content_type("text"));
}

TEST(MimeSerialize, RoundTripsAndRejectsCorruption) {
  std::string m = canonicalize_line_endings(
      "From: a@b\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: message/rfc822\n\n"
      "Subject: inner\n\nhi\n--z--\n");
  auto st = analyze_message(m);
  std::string blob = serialize(st);
  auto back = deserialize(blob);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, st);
  EXPECT_FALSE(deserialize(""));
  EXPECT_FALSE(deserialize(blob.substr(0, blob.size() - 1)));
  EXPECT_FALSE(deserialize(blob + "x"));
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {  // corrupted blobs are rejected or decode to something bounded
    std::string c = blob;
    c[rng() % c.size()] = static_cast<char>(rng());
    if (auto r = deserialize(c)) {
      for (const auto& p : r->parts) EXPECT_LE(p.body_offset + p.body_size, r->size);
    }
  }
}

}  // namespace
}  // namespace tern::mime
