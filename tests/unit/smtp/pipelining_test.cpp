// ServerProtocol fed a whole session at once, byte by byte and in random
// splits (same replies every time), and RFC 2920 pipelining: replies in
// order, flushed at the end of a group or when the input runs out.
#include <gtest/gtest.h>

#include <random>

#include "harness.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;

const std::string session =
    "EHLO client.example.net\r\n"
    "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n"
    "RCPT TO:<bob@example.test>\r\n"
    "RCPT TO:<nobody@example.test>\r\n"
    "RCPT TO:<carol@example.test>\r\n"
    "DATA\r\n"
    "Subject: test\r\n\r\n..leading dot\r\nline\r\n.\r\n"
    "MAIL FROM:<>\r\n"
    "RCPT TO:<bob@example.test>\r\n"
    "BDAT 8\r\nabc\r\n.\r\nBDAT 3 LAST\r\nz\r\n"
    "RSET\r\n"
    "QUIT\r\n";

std::vector<std::string> run(const std::vector<std::size_t>& cuts, std::vector<std::string>* messages) {
  Harness h;
  h.verdict = [](const action::CheckRecipient& c) {
    return c.address.local == "nobody" ? RecipientVerdict::unknown_user : RecipientVerdict::accept;
  };
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    h.feed(std::string_view(session).substr(at, cut - at));
    at = cut;
  }
  h.feed(std::string_view(session).substr(at));
  for (const auto& d : h.delivered) messages->push_back(d.message);
  EXPECT_EQ(h.closes, 1);
  return h.replies;
}

TEST(SmtpPipelining, WholeByteByByteAndRandomSplitsAgree) {
  std::vector<std::string> messages;
  const auto whole = run({}, &messages);
  const std::vector<std::string> expected_codes = {"220", "250", "250", "250", "550", "250", "354",
                                                   "250", "250", "250", "250", "250", "250", "221"};
  ASSERT_EQ(whole.size(), expected_codes.size());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(whole[i].substr(0, 3), expected_codes[i]) << i;
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "Subject: test\r\n\r\n.leading dot\r\nline\r\n");
  EXPECT_EQ(messages[1], "abc\r\n.\r\nz\r\n");

  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < session.size(); ++i) every.push_back(i);
  std::vector<std::string> byte_messages;
  EXPECT_EQ(run(every, &byte_messages), whole);
  EXPECT_EQ(byte_messages, messages);

  std::mt19937 random(2023);
  for (int round = 0; round < 100; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += std::uniform_int_distribution<std::size_t>(1, 30)(random);
      if (at >= session.size()) break;
      cuts.push_back(at);
    }
    std::vector<std::string> split_messages;
    ASSERT_EQ(run(cuts, &split_messages), whole) << "round " << round;
    EXPECT_EQ(split_messages, messages);
  }
}

TEST(SmtpPipelining, GroupRepliesComeInOrderAndFlushAtGroupEnd) {
  Harness h;
  h.feed("EHLO client.example.net\r\n");
  h.clear();
  h.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n");
  ASSERT_EQ(h.codes(), (std::vector<std::string>{"250", "250", "250", "354"}));
  EXPECT_EQ(h.flushes, (std::vector<bool>{false, false, false, true}));
}

TEST(SmtpPipelining, FlushWhenInputRunsOutMidGroup) {
  Harness h;
  h.feed("EHLO client.example.net\r\n");
  h.clear();
  h.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\n");
  EXPECT_EQ(h.flushes, (std::vector<bool>{false, true}));
  h.feed("RSET\r\nNOOP\r\nRSET\r\n");
  EXPECT_EQ(h.flushes, (std::vector<bool>{false, true, false, true, true}));
}

TEST(SmtpPipelining, GroupEndersFlush) {
  for (const char* command : {"EHLO x.example\r\n", "HELO x.example\r\n", "NOOP\r\n", "VRFY bob\r\n",
                              "EXPN list\r\n", "HELP\r\n", "QUIT\r\n"}) {
    Harness h;
    h.clear();
    h.feed(std::string(command) + "RSET\r\n");
    ASSERT_GE(h.flushes.size(), 1u) << command;
    EXPECT_TRUE(h.flushes[0]) << command;
  }
}

TEST(SmtpPipelining, DataAfterFailedGroupIsReadAsCommands) {
  // RFC 2920 3.1: the client waits for 354; if it did not, its text is refused line by line.
  Harness h;
  h.verdict = [](const action::CheckRecipient&) { return RecipientVerdict::unknown_user; };
  h.feed("EHLO x.example\r\n");
  h.clear();
  h.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nhello\r\n.\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"250", "550", "554", "500", "500"}));
  EXPECT_TRUE(h.delivered.empty());
}

}  // namespace
}  // namespace tern::smtp
