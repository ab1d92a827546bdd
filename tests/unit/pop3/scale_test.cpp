// A maildrop of 100,000 messages: STAT, LIST and UIDL answer with the output
// produced in bounded pieces, and pipelined commands still come in order.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "pop3/maildrop_lock.hpp"
#include "pop3/session.hpp"

namespace tern::pop3 {
namespace {

using testing::Harness;

constexpr std::uint32_t count = 100000;

Maildrop big_maildrop() {
  Maildrop maildrop;
  maildrop.uidvalidity = 77;
  for (std::uint32_t i = 1; i <= count; ++i) maildrop.entries.push_back({i * 2, 1000 + i % 7, 5000000 + i});
  return maildrop;
}

TEST(Pop3Scale, HundredThousandMessagesListInBoundedPieces) {
  Harness h;
  h.maildrop = big_maildrop();
  h.login();
  h.pieces.clear();
  h.feed("STAT\r\nLIST\r\nUIDL\r\nDELE 100000\r\nLIST 100000\r\nSTAT\r\n");
  std::size_t largest = 0;
  for (const std::string& piece : h.pieces) largest = std::max(largest, piece.size());
  EXPECT_LE(largest, ServerProtocol::output_piece + 64);
  EXPECT_GT(h.pieces.size(), 20u);
  const std::string out = h.take();
  EXPECT_EQ(out.rfind("+OK 100000 ", 0), 0u);
  EXPECT_NE(out.find("\r\n100000 1005\r\n.\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\n100000 00030D4000000" "04D\r\n.\r\n"), std::string::npos);
  std::uint64_t remaining = 0;
  for (std::uint32_t n = 1; n < count; ++n) remaining += 1000 + n % 7;
  EXPECT_TRUE(out.ends_with("+OK Message 100000 deleted\r\n-ERR Message 100000 already deleted\r\n+OK 99999 " +
                            std::to_string(remaining) + "\r\n"));
}

TEST(Pop3Scale, LargeMessageComesInPieces) {
  Harness h;
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; i < 20000; ++i) big += ".line " + std::to_string(i) + "\r\n";
  h.messages[104] = big;
  h.login();
  h.pieces.clear();
  h.feed("RETR 1\r\nNOOP\r\n");
  EXPECT_GT(h.pieces.size(), 5u);
  for (const std::string& piece : h.pieces) EXPECT_LE(piece.size(), ServerProtocol::output_piece + 2);
  const std::string out = h.take();
  EXPECT_TRUE(out.ends_with("..line 19999\r\n.\r\n+OK\r\n"));
}

// A message larger than piece_octets is read from the store a piece at a
// time; what the client gets is the same as from the whole message, however
// the pieces cut CRLFs and dotted lines.
TEST(Pop3Scale, LargeMessageIsReadInPieces) {
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; i < 3000; ++i) big += (i % 3 == 0 ? ".dot " : "line ") + std::to_string(i) + "\r\n";
  StuffedText whole(big, big.size());
  std::string expected;
  while (!whole.done()) whole.write_some(expected, 1 << 20);
  for (std::uint64_t piece : {97u, 1000u, 4096u}) {
    ProtocolConfig config = testing::default_config(Mode::pop3, true);
    config.piece_octets = piece;
    Harness h(config);
    h.messages[104] = big;
    h.maildrop.entries[0].size = big.size();
    h.login();
    h.take();
    h.feed("RETR 1\r\nNOOP\r\n");
    const std::string out = h.take();
    EXPECT_EQ(out, "+OK " + std::to_string(big.size()) + " octets\r\n" + expected + "+OK\r\n") << piece;
    EXPECT_EQ(h.piece_loads.size(), (big.size() + piece - 1) / piece) << piece;
    EXPECT_EQ(h.piece_loads.front(), 0u);
  }
}

TEST(Pop3Scale, AFailedLaterPieceEndsTheConnection) {
  ProtocolConfig config = testing::default_config(Mode::pop3, true);
  config.piece_octets = 10;
  Harness h(config);
  h.fail_later_pieces = true;
  h.login();
  h.take();
  h.feed("RETR 1\r\n");
  const std::string out = h.take();
  EXPECT_TRUE(out.starts_with("+OK 30 octets\r\n")) << out;
  EXPECT_EQ(out.find("\r\n.\r\n"), std::string::npos);  // never a terminator after a cut text
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.protocol.closed());
}

TEST(Pop3MaildropLock, OneHolderPerAccount) {
  auto first = MaildropLock::acquire(42);
  ASSERT_TRUE(first);
  EXPECT_FALSE(MaildropLock::acquire(42));
  EXPECT_TRUE(MaildropLock::acquire(43));
  first->release();
  auto again = MaildropLock::acquire(42);
  EXPECT_TRUE(again);
  std::optional<MaildropLock> moved = std::move(again);
  again.reset();
  EXPECT_FALSE(MaildropLock::acquire(42));
  moved.reset();
  EXPECT_TRUE(MaildropLock::acquire(42));
}

TEST(Pop3Session, IdleTimeoutFollowsRfc1939) {
  LimitsConfig limits;
  EXPECT_EQ(idle_timeout(limits), std::chrono::seconds(600));
  limits.command_timeout = std::chrono::seconds(900);
  EXPECT_EQ(idle_timeout(limits), std::chrono::seconds(900));
  limits.command_timeout = std::chrono::seconds(5);
  EXPECT_EQ(idle_timeout(limits), std::chrono::seconds(5));
}

}  // namespace
}  // namespace tern::pop3
