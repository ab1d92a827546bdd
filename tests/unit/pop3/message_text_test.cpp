// Message text as POP3 sends it: CRLF, dot-stuffing, TOP's cut, pieces.
#include <gtest/gtest.h>

#include "pop3/protocol/message_text.hpp"

namespace tern::pop3 {
namespace {

std::string stuffed(const std::string& message, std::size_t end, std::size_t budget = 1 << 20) {
  StuffedText text(message, end);
  std::string out;
  while (!text.done()) text.write_some(out, budget);
  return out;
}

TEST(Pop3MessageText, StuffsLeadingDotsAndTerminates) {
  EXPECT_EQ(stuffed("a\r\n.b\r\n..\r\n.\r\n", 100), "a\r\n..b\r\n...\r\n..\r\n.\r\n");
  EXPECT_EQ(stuffed("", 0), ".\r\n");
  EXPECT_EQ(stuffed(".", 1), "..\r\n.\r\n");
}

TEST(Pop3MessageText, NormalisesLineEndings) {
  EXPECT_EQ(stuffed("a\nb\rc\r\nd", 100), "a\r\nb\r\nc\r\nd\r\n.\r\n");
  EXPECT_EQ(stuffed("\n.\n", 100), "\r\n..\r\n.\r\n");
  EXPECT_EQ(normalized_size("a\nb\rc\r\nd"), 10u);
  EXPECT_EQ(normalized_size("a\r\n"), 3u);
}

TEST(Pop3MessageText, TinyBudgetsGiveTheSameText) {
  const std::string message = "From: x\r\n\r\n.line\nmore\r.\r\nend";
  const std::string whole = stuffed(message, message.size());
  for (std::size_t budget = 1; budget < 8; ++budget) EXPECT_EQ(stuffed(message, message.size(), budget), whole);
}

TEST(Pop3MessageText, PiecesAreBounded) {
  const std::string message(100000, 'x');
  StuffedText text(message, message.size());
  std::string piece;
  text.write_some(piece, 4096);
  EXPECT_EQ(piece.size(), 4096u);
  EXPECT_FALSE(text.done());
}

TEST(Pop3MessageText, TopEnd) {
  const std::string message = "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
  EXPECT_EQ(message.substr(0, top_end(message, 0)), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(message.substr(0, top_end(message, 2)), "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
  EXPECT_EQ(top_end(message, 99), message.size());
  EXPECT_EQ(top_end("A: 1\nB: 2\n\nbody\n", 0), 11u);
  EXPECT_EQ(top_end("no blank line\r\nat all", 0), 21u);
  EXPECT_EQ(top_end("\r\nbody", 0), 2u);
}

TEST(Pop3MessageText, PiecesGiveTheSameTextAsTheWhole) {
  const std::string message = "a\r\n.b\r\r\n\r\n.\r\nc\rd\ne\r";
  const std::string expected = stuffed(message, message.size());
  for (std::size_t piece = 1; piece <= message.size(); ++piece) {
    StuffedText text(message.substr(0, piece), StuffedText::InPieces{message.size()});
    std::string out;
    while (!text.done()) {
      if (text.wants_more()) {
        text.add(message.substr(text.loaded(), piece));
        continue;
      }
      text.write_some(out, 3);
    }
    EXPECT_EQ(out, expected) << "pieces of " << piece;
  }
}

}  // namespace
}  // namespace tern::pop3
