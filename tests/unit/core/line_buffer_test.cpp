// LineBuffer: whole lines within a bound, overlong lines reported once and
// dropped to their end, raw octets for DATA/BDAT, at any split of the input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/line_buffer.hpp"

namespace tern {
namespace {

// Feeds `input` in pieces of `step` octets and collects what comes out:
// each line, or "<too long>".
std::vector<std::string> lines(const std::string& input, std::size_t limit, std::size_t step) {
  LineBuffer buffer;
  std::vector<std::string> out;
  for (std::size_t at = 0; at < input.size(); at += step) {
    buffer.append(input.substr(at, step));
    for (;;) {
      LineBuffer::Next next = buffer.next_line(limit);
      if (next.status == LineBuffer::Status::incomplete) break;
      out.push_back(next.status == LineBuffer::Status::line ? next.line : "<too long>");
    }
    buffer.compact();
  }
  return out;
}

TEST(LineBuffer, LinesEndInCrLfOrBareLf) {
  for (std::size_t step : {1u, 2u, 3u, 7u, 100u})
    EXPECT_EQ(lines("EHLO a\r\nNOOP\nQUIT\r\n", 64, step), (std::vector<std::string>{"EHLO a", "NOOP", "QUIT"}))
        << step;
}

TEST(LineBuffer, AnOverlongLineIsReportedOnceAndDroppedToItsEnd) {
  const std::string input = std::string(100, 'x') + "\r\nNOOP\r\n";
  for (std::size_t step : {1u, 5u, 16u, 200u})
    EXPECT_EQ(lines(input, 16, step), (std::vector<std::string>{"<too long>", "NOOP"})) << step;
}

TEST(LineBuffer, TheBoundCountsTheLineEnding) {
  EXPECT_EQ(lines("abcd\r\n", 6, 1), (std::vector<std::string>{"abcd"}));
  EXPECT_EQ(lines("abcde\r\n", 6, 1), (std::vector<std::string>{"<too long>"}));
}

TEST(LineBuffer, NothingBeyondTheBoundIsHeldWhileALineIsIncomplete) {
  LineBuffer buffer;
  buffer.append(std::string(10, 'y'));
  EXPECT_EQ(buffer.next_line(8).status, LineBuffer::Status::too_long);
  buffer.compact();
  EXPECT_TRUE(buffer.pending().empty());
  EXPECT_FALSE(buffer.empty());  // still inside the long line
  buffer.append(std::string(1000, 'y'));
  EXPECT_EQ(buffer.next_line(8).status, LineBuffer::Status::incomplete);
  buffer.compact();
  EXPECT_TRUE(buffer.pending().empty());
  buffer.append("y\nok\n");
  LineBuffer::Next next = buffer.next_line(8);
  EXPECT_EQ(next.status, LineBuffer::Status::line);
  EXPECT_EQ(next.line, "ok");
  EXPECT_TRUE(buffer.empty());
}

TEST(LineBuffer, RawOctetsAndLinesInterleave) {
  LineBuffer buffer;
  buffer.append("BDAT 5\r\nhelloQUIT\r\n");
  EXPECT_EQ(buffer.next_line(64).line, "BDAT 5");
  EXPECT_EQ(buffer.pending().substr(0, 5), "hello");
  buffer.consume(5);
  EXPECT_EQ(buffer.next_line(64).line, "QUIT");
  EXPECT_TRUE(buffer.empty());
}

TEST(LineBuffer, ClearForgetsEverything) {
  LineBuffer buffer;
  buffer.append("STARTTLS\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_EQ(buffer.next_line(64).line, "STARTTLS");
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.next_line(64).status, LineBuffer::Status::incomplete);
}

TEST(LineBuffer, AuthCommandsAndSaslResponsesGetTheLongerBound) {
  const LineBuffer::CommandLimits limits{16, 64};
  LineBuffer buffer;
  const std::string auth = "auth plain " + std::string(40, 'A') + "\r\n";
  buffer.append(auth + "NOOP " + std::string(40, 'x') + "\r\n" + std::string(40, 'B') + "\r\n");
  EXPECT_EQ(buffer.next_command(limits, false).line, auth.substr(0, auth.size() - 2));
  EXPECT_EQ(buffer.next_command(limits, false).status, LineBuffer::Status::too_long);
  EXPECT_EQ(buffer.next_command(limits, true).line, std::string(40, 'B'));
}

TEST(LineBuffer, TheBoundIsChosenAfterAnOverlongLineIsDropped) {
  const LineBuffer::CommandLimits limits{16, 64};
  LineBuffer buffer;
  buffer.append("AUTH " + std::string(100, 'x'));  // too long even for AUTH, no LF yet
  EXPECT_EQ(buffer.next_command(limits, false).status, LineBuffer::Status::too_long);
  buffer.append("xx\r\nAUTH PLAIN " + std::string(30, 'A') + "\r\n");
  EXPECT_EQ(buffer.next_command(limits, false).line, "AUTH PLAIN " + std::string(30, 'A'));
}

}  // namespace
}  // namespace tern
