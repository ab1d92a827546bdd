// DataReader: end of data only at CRLF "." CRLF, dot-unstuffing, the bare
// CR/LF policy (SMTP smuggling), line and size limits, any input split.
#include <gtest/gtest.h>

#include <random>

#include "smtp/protocol/data_reader.hpp"

namespace tern::smtp {
namespace {

using Framing = DataReader::Framing;
using Problem = DataReader::Problem;

TEST(SmtpDataReader, EndsAtCrlfDotCrlfAndUnstuffs) {
  DataReader r(Framing::dot_stuffed, 1000);
  const std::string input = "a\r\n..b\r\n.c\r\n...\r\n.\r\nNOOP\r\n";
  const std::size_t used = r.consume(input);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(input.substr(used), "NOOP\r\n");
  EXPECT_EQ(r.problem(), Problem::none);
  EXPECT_EQ(r.take_message().read_all().value(), "a\r\n.b\r\nc\r\n..\r\n");
}

TEST(SmtpDataReader, ImmediateEndIsAnEmptyMessage) {
  DataReader r(Framing::dot_stuffed, 1000);
  EXPECT_EQ(r.consume(".\r\n"), 3u);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.take_message().read_all().value(), "");
}

TEST(SmtpDataReader, ByteByByteGivesTheSameMessage) {
  DataReader r(Framing::dot_stuffed, 1000);
  const std::string input = "Subject: x\r\n\r\n..\r\nline\r\n.\r\n";
  for (std::size_t i = 0; i < input.size(); ++i) {
    EXPECT_FALSE(r.complete()) << i;
    EXPECT_EQ(r.consume(input.substr(i, 1)), 1u);
  }
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.take_message().read_all().value(), "Subject: x\r\n\r\n.\r\nline\r\n");
}

// Each payload contains a bogus end-of-data followed by a smuggled command;
// the real end comes last. The message must run to the real end, in one piece.
class SmtpSmuggling : public ::testing::TestWithParam<std::string> {};

TEST_P(SmtpSmuggling, BareLineBreaksNeverEndTheMessage) {
  const std::string payload = "Subject: a\r\n\r\nbody" + GetParam() +
                              "MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.test>\r\n";
  const std::string input = payload + "\r\n.\r\n";
  DataReader whole(Framing::dot_stuffed, 100000);
  EXPECT_EQ(whole.consume(input), input.size());
  EXPECT_TRUE(whole.complete());
  EXPECT_EQ(whole.problem(), Problem::bare_line_break);
  DataReader split(Framing::dot_stuffed, 100000);
  for (char c : input) {
    ASSERT_FALSE(split.complete());
    split.consume(std::string_view(&c, 1));
  }
  EXPECT_TRUE(split.complete());
  EXPECT_EQ(split.problem(), Problem::bare_line_break);
}

INSTANTIATE_TEST_SUITE_P(Variants, SmtpSmuggling,
                         ::testing::Values("\n.\n", "\r.\r\n", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r.\r",
                                           "\r\n.\rX", "\n\r.\r\n"));

TEST(SmtpDataReader, BareCrAndLfInTextAreFlagged) {
  for (std::string text : {"a\nb\r\n.\r\n", "a\rb\r\n.\r\n", "a\r\r\n.\r\n"}) {
    DataReader r(Framing::dot_stuffed, 1000);
    r.consume(text);
    EXPECT_TRUE(r.complete()) << text;
    EXPECT_EQ(r.problem(), Problem::bare_line_break) << text;
  }
}

TEST(SmtpDataReader, LineLengthLimitCountsCrlf) {
  DataReader ok(Framing::dot_stuffed, 100000);
  ok.consume(std::string(998, 'x') + "\r\n.\r\n");
  EXPECT_EQ(ok.problem(), Problem::none);
  DataReader bad(Framing::dot_stuffed, 100000);
  bad.consume(std::string(999, 'x') + "\r\n.\r\n");
  EXPECT_TRUE(bad.complete());
  EXPECT_EQ(bad.problem(), Problem::line_too_long);
}

TEST(SmtpDataReader, SizeLimitDropsTheTextButReadsToTheEnd) {
  DataReader r(Framing::dot_stuffed, 10);
  r.consume("0123456789\r\n");
  EXPECT_FALSE(r.complete());
  r.consume("more\r\n.\r\n");
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.problem(), Problem::too_big);
  EXPECT_EQ(r.size(), 18u);
  Spool dropped = r.take_message();
  EXPECT_TRUE(dropped.discarded());
  EXPECT_FALSE(dropped.read_all());
  DataReader exact(Framing::dot_stuffed, 10);
  exact.consume("01234567\r\n.\r\n");
  EXPECT_EQ(exact.problem(), Problem::none);
}

TEST(SmtpDataReader, CountedFramingKeepsDotsAndEndsOnlyWhenTold) {
  DataReader r(Framing::counted, 1000);
  EXPECT_EQ(r.consume("a\r\n.\r\n..b\r"), 10u);
  EXPECT_FALSE(r.complete());
  r.consume("\n");
  r.end_of_chunks();
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.problem(), Problem::none);
  EXPECT_EQ(r.take_message().read_all().value(), "a\r\n.\r\n..b\r\n");
}

TEST(SmtpDataReader, CountedFramingFlagsATrailingBareCr) {
  DataReader r(Framing::counted, 1000);
  r.consume("a\r");
  r.end_of_chunks();
  EXPECT_EQ(r.problem(), Problem::bare_line_break);
}

TEST(SmtpDataReader, RandomSplitsGiveTheSameResult) {
  std::string input;
  for (int i = 0; i < 50; ++i) input += (i % 7 == 0 ? ".." : "") + std::string(static_cast<std::size_t>(i), 'q') + "\r\n";
  input += ".\r\n";
  DataReader reference(Framing::dot_stuffed, 100000);
  reference.consume(input);
  const std::string expected = reference.take_message().read_all().value();
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    DataReader r(Framing::dot_stuffed, 100000);
    std::size_t at = 0;
    while (at < input.size()) {
      std::size_t n = std::uniform_int_distribution<std::size_t>(1, 40)(random);
      n = std::min(n, input.size() - at);
      EXPECT_EQ(r.consume(std::string_view(input).substr(at, n)), n);
      at += n;
    }
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.take_message().read_all().value(), expected);
  }
}

}  // namespace
}  // namespace tern::smtp
