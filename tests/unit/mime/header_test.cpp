#include "mime/header.hpp"

#include <gtest/gtest.h>

namespace tern::mime {
namespace {

TEST(Header, SizeFindsTheEmptyLine) {
  EXPECT_EQ(header_size("A: b\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_size("A: b\n\nbody"), 6u);
  EXPECT_EQ(header_size("A: b\r\nC: d\r\n"), 12u);  // no body
  EXPECT_EQ(header_size("\r\nbody"), 2u);
  EXPECT_EQ(header_size(""), 0u);
}

TEST(Header, UnfoldsAndSkipsJunk) {
  auto fields = parse_header("Subject: a\r\n  long\r\n\tsubject\r\nnot a field\r\nX-Empty:\r\nTo:b@c\r\n\r\nBody: no\r\n");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].value, "a long subject");
  EXPECT_EQ(fields[1].name, "X-Empty");
  EXPECT_EQ(fields[1].value, "");
  EXPECT_EQ(fields[2].value, "b@c");
  EXPECT_EQ(find_field(fields, "to").value(), "b@c");
  EXPECT_FALSE(find_field(fields, "Body").has_value());
  EXPECT_TRUE(parse_header("\r:00 +0000\r\n :x\r\n").empty());  // no field has an empty name
}

TEST(Header, Dates) {
  EXPECT_EQ(parse_date("Mon, 1 Jul 2024 12:00:00 +0000").value(), 1719835200);
  EXPECT_EQ(parse_date("1 Jul 2024 14:00:00 +0200").value(), 1719835200);
  EXPECT_EQ(parse_date("Mon, 01 Jul 24 12:00 GMT").value(), 1719835200);
  EXPECT_EQ(parse_date("mon, 1 jul 2024 07:00:00 EST").value(), 1719835200);
  EXPECT_EQ(parse_date("Mon, 1 Jul 2024 12:00:00 +0000 (UTC)").value(), 1719835200);
  EXPECT_EQ(parse_date("Thu, 1 Jan 1970 00:00:00 +0000").value(), 0);
  for (auto bad : {"", "yesterday", "32 Jul 2024 12:00:00 +0000", "1 Foo 2024 12:00:00 +0000",
                   "1 Jul 2024 25:00:00 +0000", "1 Jul 2024", "1 Jul 2024 12:00:00 +01"})
    EXPECT_FALSE(parse_date(bad).has_value()) << bad;
}

TEST(Header, DescribeMessage) {
  std::string msg = "From: Alice <a@x.test>\r\nTo: b@y.test\r\nSubject: =?utf-8?q?hi?=\r\n"
                    "Date: Mon, 1 Jul 2024 12:00:00 +0000\r\nMessage-ID: <1@x.test>\r\n\r\nHello\r\n";
  auto meta = describe_message(msg);
  EXPECT_EQ(meta.size, msg.size());
  EXPECT_EQ(meta.header_size, msg.find("Hello"));
  EXPECT_EQ(meta.from, "Alice <a@x.test>");
  EXPECT_EQ(meta.to, "b@y.test");
  EXPECT_EQ(meta.subject, "=?utf-8?q?hi?=");
  EXPECT_EQ(meta.message_id, "<1@x.test>");
  EXPECT_EQ(meta.date, 1719835200);
  EXPECT_EQ(describe_message("garbage without header").size, 22u);
}

}  // namespace
}  // namespace tern::mime
