// SMTP smuggling (2023) through the whole protocol: a bogus end of data made
// of bare CR/LF must neither end the message nor let the rest run as commands.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;

class SmtpSmugglingSession : public ::testing::TestWithParam<std::string> {};

TEST_P(SmtpSmugglingSession, OneMessageRefusedNoSmuggledCommands) {
  const std::string input = "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"
                            "Subject: first\r\n\r\nhello" + GetParam() +
                            "MAIL FROM:<admin@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
                            "Subject: forged\r\n\r\nsmuggled\r\n.\r\nNOOP\r\n";
  for (bool byte_by_byte : {false, true}) {
    Harness h;
    if (byte_by_byte) {
      for (char c : input) h.feed(std::string_view(&c, 1));
    } else {
      h.feed(input);
    }
    EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "250", "250", "354", "550", "250"}));
    EXPECT_NE(h.replies[5].find("5.6.0"), std::string::npos);
    EXPECT_EQ(h.checks.size(), 1u);  // victim@ was never looked at
    EXPECT_TRUE(h.delivered.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, SmtpSmugglingSession,
                         ::testing::Values("\n.\n", "\r.\r\n", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r.\r", "\n.\r\r\n"));

TEST(SmtpSmugglingSession, RealEndStillWorksAfterDotStuffedLines) {
  Harness h;
  h.feed("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"
         "..\r\n.x\r\n...\r\n.\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].message, ".\r\nx\r\n..\r\n");
}

}  // namespace
}  // namespace tern::smtp
