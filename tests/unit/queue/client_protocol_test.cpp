// The outbound client's sans-I/O pieces: replies fed byte by byte and in
// random splits, EHLO keywords, commands with DSN parameters, DATA text.
#include "queue/client_protocol.hpp"

#include <gtest/gtest.h>

#include <random>

namespace tern::queue {
namespace {

std::vector<Reply> read_all(ReplyReader& reader) {
  std::vector<Reply> out;
  while (true) {
    auto next = reader.next();
    EXPECT_TRUE(next.ok());
    if (!next || !*next) return out;
    out.push_back(std::move(**next));
  }
}

TEST(ReplyReader, MultiLineRepliesByteByByteAndInRandomSplits) {
  const std::string wire = "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 DSN\r\n550 5.1.1 no\r\n";
  ReplyReader one;
  std::vector<Reply> got;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    one.feed(wire.substr(i, 1));
    auto more = read_all(one);
    if (i + 1 < wire.find("550")) {
      EXPECT_TRUE(more.empty()) << "nothing completes before the last line";
    }
    for (auto& r : more) got.push_back(std::move(r));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].code, 250u);
  EXPECT_EQ(got[0].lines.size(), 4u);
  EXPECT_EQ(got[1].status(), "5.1.1");
  EXPECT_EQ(got[1].summary(), "550 5.1.1 no");

  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    ReplyReader reader;
    std::size_t at = 0;
    std::vector<Reply> replies;
    while (at < wire.size()) {
      std::size_t n = std::uniform_int_distribution<std::size_t>(1, 9)(random);
      reader.feed(wire.substr(at, n));
      at += n;
      for (auto& r : read_all(reader)) replies.push_back(std::move(r));
    }
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].lines[3], "DSN");
  }
}

TEST(ReplyReader, RefusesGarbageAndOverlongLines) {
  ReplyReader bad;
  bad.feed("hello\r\n");
  EXPECT_FALSE(bad.next().ok());
  ReplyReader mixed;
  mixed.feed("250-a\r\n251 b\r\n");
  EXPECT_FALSE(mixed.next().ok());
  ReplyReader longer;
  longer.feed("250 " + std::string(ReplyReader::max_line + 10, 'x'));
  EXPECT_FALSE(longer.next().ok());
}

TEST(Reply, StatusFallsBackToTheCodeClass) {
  Reply r{451, {"try later"}};
  EXPECT_EQ(r.status(), "4.0.0");
  EXPECT_TRUE(r.transient());
  Reply mismatch{550, {"4.1.1 odd"}};
  EXPECT_EQ(mismatch.status(), "5.0.0") << "an enhanced code must match the reply's class";
}

TEST(Ehlo, Keywords) {
  Reply r{250, {"mx.example greets", "PIPELINING", "SIZE 35882577", "8BITMIME", "smtputf8", "DSN", "STARTTLS",
                "AUTH LOGIN PLAIN"}};
  Capabilities c = parse_ehlo(r);
  EXPECT_TRUE(c.esmtp && c.pipelining && c.eight_bit_mime && c.smtputf8 && c.dsn && c.starttls && c.auth_plain);
  ASSERT_TRUE(c.size.has_value());
  EXPECT_EQ(*c.size, 35882577u);
  Capabilities none = parse_ehlo(Reply{250, {"mx.example"}});
  EXPECT_FALSE(none.pipelining || none.starttls || none.size.has_value());
}

TEST(Commands, MailAndRcptCarryDsnOnlyWhenOffered) {
  store::OutboundSpec spec;
  spec.sender = "a@example.org";
  spec.ret = "HDRS";
  spec.envid = "id+1=x";
  spec.eight_bit = true;
  store::QueueRecipient r{"b@example.net", "rfc822;b+x@example.net", store::notify::failure | store::notify::delay,
                          {}, {}};
  Capabilities plain;
  EXPECT_EQ(mail_command(spec, 10, plain), "MAIL FROM:<a@example.org>\r\n");
  EXPECT_EQ(rcpt_command(r, plain), "RCPT TO:<b@example.net>\r\n");
  Capabilities all;
  all.dsn = all.eight_bit_mime = true;
  all.size = 0;
  EXPECT_EQ(mail_command(spec, 10, all), "MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=id+2B1+3Dx\r\n");
  EXPECT_EQ(rcpt_command(r, all), "RCPT TO:<b@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bx@example.net\r\n");
  r.notify = store::notify::never;
  EXPECT_EQ(rcpt_command(r, all), "RCPT TO:<b@example.net> NOTIFY=NEVER ORCPT=rfc822;b+2Bx@example.net\r\n");
  store::OutboundSpec bounce;
  EXPECT_EQ(mail_command(bounce, 1, plain), "MAIL FROM:<>\r\n");
  EXPECT_EQ(auth_plain_command("u", "p"), "AUTH PLAIN AHUAcA==\r\n");
}

TEST(DataText, StripsReturnPathDotStuffsAndTerminates) {
  std::string stored = "Return-Path: <a@example.org>\r\nReceived: from x\r\n\tby y\r\nSubject: s\r\n\r\n"
                       ".leading dot\r\nReturn-Path: in the body stays\r\n.\r\nend";
  EXPECT_EQ(data_text(stored),
            "Received: from x\r\n\tby y\r\nSubject: s\r\n\r\n..leading dot\r\nReturn-Path: in the body stays\r\n"
            "..\r\nend\r\n.\r\n");
  EXPECT_EQ(strip_return_path("return-path:\r\n <x@y>\r\nA: b\r\n\r\nbody"), "A: b\r\n\r\nbody");
}

TEST(QueueDataStuffer, PiecesGiveWhatDataTextGivesForTheWhole) {
  const std::vector<std::string> messages = {
      "", ".", "\r", "a", ".a\r\n..b\r\n.\r\nc", "x\r\n.\r\n.", "line\r\n", "\n.\n.", "a\r\nb\r",
      std::string("nul\0", 4)};
  for (const std::string& message : messages) {
    const std::string expected = data_text(message);
    for (std::size_t piece = 1; piece <= message.size() + 1; ++piece) {
      DataStuffer stuffer;
      std::string out;
      for (std::size_t at = 0; at < message.size(); at += piece)
        stuffer.feed(std::string_view(message).substr(at, piece), out);
      stuffer.finish(out);
      EXPECT_EQ(out, expected) << "message " << ::testing::PrintToString(message) << " pieces of " << piece;
    }
  }
}

}  // namespace
}  // namespace tern::queue
