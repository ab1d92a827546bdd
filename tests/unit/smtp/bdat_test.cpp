// BDAT / CHUNKING (RFC 3030): octet-counted chunks, consumed even when
// refused, never ended by CRLF "." CRLF, not mixed with DATA.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;
using testing::default_config;

const std::string start = "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\n";

TEST(SmtpBdat, ChunksAreCountedNotDotTerminated) {
  Harness h;
  h.feed(start);
  h.clear();
  const std::string first = "Subject: x\r\n\r\n.\r\n";  // a CRLF.CRLF inside: just text here
  h.feed("BDAT " + std::to_string(first.size()) + "\r\n" + first);
  EXPECT_EQ(h.codes(), std::vector<std::string>{"250"});
  EXPECT_EQ(h.last(), "250 2.0.0 " + std::to_string(first.size()) + " octets received\r\n");
  EXPECT_TRUE(h.delivered.empty());
  h.feed("BDAT 6 LAST\r\n..end\n");
  EXPECT_TRUE(h.delivered.empty());  // 5 of 6 octets so far
  h.feed("\r");
  EXPECT_TRUE(h.delivered.empty());  // a bare LF then a trailing CR: refused
  EXPECT_EQ(h.codes().back(), "550");
}

TEST(SmtpBdat, LastChunkDelivers) {
  Harness h;
  h.feed(start + "BDAT 5\r\nab\r\nc");
  h.feed("BDAT 3 LAST\r\nd\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].message, "ab\r\ncd\r\n");
  EXPECT_TRUE(h.delivered[0].envelope.chunking);
  EXPECT_EQ(h.last(), "250 2.0.0 Ok: queued as Q1\r\n");
}

TEST(SmtpBdat, ZeroLengthLast) {
  Harness h;
  h.feed(start + "BDAT 5\r\nx\r\n\r\nBDAT 0 LAST\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].message, "x\r\n\r\n");
}

TEST(SmtpBdat, RefusedChunkIsStillConsumed) {
  Harness h;
  h.feed("EHLO c.example\r\n");
  h.clear();
  h.feed("BDAT 12\r\nQUIT\r\nRSET\r\nNOOP\r\n");  // no MAIL: the 12 octets must not run as commands
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"503", "250"}));
  EXPECT_EQ(h.closes, 0);
  h.feed("MAIL FROM:<a@example.org>\r\nBDAT 6 LAST\r\nQUIT\r\n");  // no recipients
  EXPECT_EQ(h.last(), "554 5.5.1 No valid recipients\r\n");
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpBdat, BadSizeIsASyntaxError) {
  Harness h;
  h.feed(start);
  h.clear();
  h.feed("BDAT\r\nBDAT x\r\nBDAT 5 FIRST\r\nBDAT -1\r\nBDAT 99999999999999999999\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"501", "501", "501", "501", "501"}));
}

TEST(SmtpBdat, DoesNotMixWithData) {
  Harness h;
  h.feed(start + "BDAT 3\r\nab\n");
  h.clear();
  h.feed("DATA\r\nRCPT TO:<c@example.test>\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"503", "503"}));
  h.feed("RSET\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n.\r\n");
  EXPECT_EQ(h.delivered.size(), 1u);
}

TEST(SmtpBdat, OversizedChunkIsRefusedAndTheRestConsumed) {
  auto config = default_config();
  config.max_message_size = 10;
  Harness h(config);
  h.feed(start);
  h.clear();
  h.feed("BDAT 20\r\n" + std::string(18, 'z') + "\r\n");
  EXPECT_EQ(h.last(), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  h.feed("BDAT 4 LAST\r\nQUIT");  // the transaction is gone: consumed, then 503
  EXPECT_EQ(h.last(), "503 5.5.1 Need MAIL command\r\n");
  EXPECT_EQ(h.closes, 0);
  EXPECT_TRUE(h.delivered.empty());
}

TEST(SmtpBdat, HugeChunkByteByByteNeverReadsCommands) {
  Harness h;
  h.feed(start);
  h.clear();
  const std::string body = "QUIT\r\nQUIT\r\n";
  h.feed("BDAT " + std::to_string(body.size()) + " LAST\r\n");
  for (char c : body) h.feed(std::string_view(&c, 1));
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].message, body);
  EXPECT_EQ(h.closes, 0);
}

}  // namespace
}  // namespace tern::smtp
