// The IMAP command reader: framing fed whole, byte by byte and at every split
// point; literal announcements before their bytes; refusal of oversized and
// 4 GiB literals before any continuation, with the next command still read.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "helpers.hpp"

namespace tern::imap {
namespace {

using testing::drain;
using testing::read_all;
using testing::ReaderLog;
using namespace std::string_literals;

const std::string script =
    "a1 CAPABILITY\r\n"
    "a2 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n"
    "a3 APPEND INBOX (\\Seen) {11}\r\nHello\r\nWorld\r\n"
    "a4 NOOP\n"
    "a5 APPEND Drafts ~{3}\r\na\0b\r\n"
    "a6 SELECT \"Sent\"\r\n"s;

TEST(ImapReader, SplitsCommandsAndKeepsLiteralsInline) {
  const ReaderLog log = read_all(script);
  ASSERT_EQ(log.commands.size(), 6u);
  EXPECT_EQ(log.commands[0], "a1 CAPABILITY\r\n");
  EXPECT_EQ(log.commands[1], "a2 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n");
  EXPECT_EQ(log.commands[2], "a3 APPEND INBOX (\\Seen) {11}\r\nHello\r\nWorld\r\n");
  EXPECT_EQ(log.commands[3], "a4 NOOP\r\n");  // bare LF tolerated, CRLF delivered
  EXPECT_EQ(log.commands[4], "a5 APPEND Drafts ~{3}\r\na\0b\r\n"s);
  EXPECT_EQ(log.events[1], "literal a2 LOGIN 5 sync");
  EXPECT_EQ(log.events[2], "literal a2 LOGIN 6 nonsync");
  EXPECT_EQ(log.events[4], "literal a3 APPEND 11 sync");
  EXPECT_EQ(log.events[7], "literal a5 APPEND 3 sync binary");
}

TEST(ImapReader, ByteByByteAndEverySplitGiveTheSameCommands) {
  const ReaderLog whole = read_all(script);
  EXPECT_EQ(read_all(script, 1).events, whole.events);
  EXPECT_EQ(read_all(script, 1).commands, whole.commands);
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    CommandReader reader;
    ReaderLog log;
    reader.feed(script.substr(0, cut));
    drain(reader, log);
    reader.feed(script.substr(cut));
    drain(reader, log);
    ASSERT_EQ(log.events, whole.events) << "cut at " << cut;
    ASSERT_EQ(log.commands, whole.commands) << "cut at " << cut;
  }
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    CommandReader reader;
    ReaderLog log;
    for (std::size_t at = 0; at < script.size();) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 9)(random);
      reader.feed(script.substr(at, n));
      drain(reader, log);
      at += n;
    }
    ASSERT_EQ(log.commands, whole.commands);
  }
}

TEST(ImapReader, RefusalsDoNotDependOnHowTheInputIsCut) {
  ReaderLimits limits;
  limits.max_line_octets = 40;
  limits.max_literal_octets = 8;
  const std::string input =
      "a1 LOGIN {4294967296}\r\n"
      "a2 LOGIN {12+}\r\n0123456789ab {2}\r\n"
      "a3 " + std::string(100, 'x') + " {3+}\r\nabc\r\n"
      "a4 LOGIN {3}\r\nabc {2+}\r\nde\r\n"
      "a5 NOOP\r\n";
  const ReaderLog whole = read_all(input, 0, limits);
  EXPECT_EQ(whole.events, (std::vector<std::string>{
                              "rejected a1 [TOOBIG] literal too large",
                              "literal a2 LOGIN 12 nonsync too_large",
                              "rejected a2 [TOOBIG] literal too large",
                              "rejected a3 [TOOBIG] line too long",
                              "literal a4 LOGIN 3 sync",
                              "literal a4 LOGIN 2 nonsync",
                              "command",
                              "command",
                          }));
  EXPECT_EQ(whole.commands, (std::vector<std::string>{"a4 LOGIN {3}\r\nabc {2+}\r\nde\r\n", "a5 NOOP\r\n"}));
  for (std::size_t piece = 1; piece < 50; ++piece) {
    const ReaderLog log = read_all(input, piece, limits);
    ASSERT_EQ(log.events, whole.events) << "pieces of " << piece;
    ASSERT_EQ(log.commands, whole.commands) << "pieces of " << piece;
  }
}

TEST(ImapReader, NothingCompletesBeforeTheLineFeed) {
  const std::string text = "t1 LOGIN {5}\r\nalice pw\r\n";
  CommandReader reader;
  ReaderLog log;
  for (std::size_t i = 0; i < text.size(); ++i) {
    reader.feed(text.substr(i, 1));
    drain(reader, log);
    if (i + 1 < text.size()) {
      EXPECT_TRUE(log.commands.empty()) << "at " << i;
    }
  }
  EXPECT_EQ(log.commands.size(), 1u);
}

TEST(ImapReader, AnnouncesTheLiteralBeforeItsBytesAndWaitsForTheDecision) {
  CommandReader reader;
  reader.feed("a APPEND INBOX {5}\r\n");
  auto event = reader.next();
  ASSERT_TRUE(event);
  auto* announced = std::get_if<reader_event::LiteralAnnounced>(&*event);
  ASSERT_NE(announced, nullptr);
  EXPECT_EQ(announced->size, 5u);
  EXPECT_TRUE(announced->synchronizing);
  EXPECT_TRUE(reader.awaiting_decision());
  reader.feed("hello\r\n");
  EXPECT_FALSE(reader.next());  // nothing is read until the session decides
  reader.accept_literal();
  event = reader.next();
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<reader_event::Command>(*event).text, "a APPEND INBOX {5}\r\nhello\r\n");
}

TEST(ImapReader, ARefusedLiteralEndsTheCommandAndTheNextOneIsRead) {
  CommandReader reader;
  ReaderLog log;
  reader.feed("a APPEND Nowhere {5}\r\nb NOOP\r\n");
  drain(reader, log, /*refuse=*/true);
  ASSERT_EQ(log.commands.size(), 1u);
  EXPECT_EQ(log.commands[0], "b NOOP\r\n");
  EXPECT_THROW(reader.accept_literal(), std::logic_error);
}

TEST(ImapReader, OversizedSynchronizingLiteralsAreRefusedBeforeTheContinuation) {
  for (const std::string announce : {"{65537}", "{4294967296}", "{99999999999999999999999}"}) {
    const ReaderLog log = read_all("a1 LOGIN " + announce + "\r\na2 NOOP\r\n");
    ASSERT_EQ(log.events.size(), 2u) << announce;
    EXPECT_EQ(log.events[0], "rejected a1 [TOOBIG] literal too large");
    EXPECT_EQ(log.commands, std::vector<std::string>{"a2 NOOP\r\n"});
  }
  // APPEND has its own, larger bound.
  EXPECT_EQ(read_all("a APPEND INBOX {65537}\r\n").events[0], "literal a APPEND 65537 sync");
  EXPECT_EQ(read_all("a APPEND INBOX {4294967296}\r\nb NOOP\r\n").events[0],
            "rejected a [TOOBIG] literal too large");
}

TEST(ImapReader, TheCommandAfterARefusedFourGibibyteLiteralParses) {
  CommandReader reader;
  ReaderLog log;
  reader.feed("a1 APPEND INBOX (\\Seen) {4294967296}\r\na2 SELECT INBOX\r\n");
  drain(reader, log);
  ASSERT_EQ(log.commands.size(), 1u);
  EXPECT_TRUE(reader.idle());
  auto parsed = parse_command(log.commands[0]);
  ASSERT_TRUE(std::holds_alternative<Command>(parsed));
  EXPECT_EQ(std::get<Command>(parsed).tag, "a2");
  EXPECT_EQ(std::get<command::Select>(std::get<Command>(parsed).body).mailbox, "INBOX");
}

TEST(ImapReader, OversizedNonSynchronizingLiteralsAreDiscarded) {
  ReaderLimits limits;
  limits.max_literal_octets = 10;
  const std::string input = "a1 LOGIN {20+}\r\n01234567890123456789 {3+}\r\nabc\r\na2 NOOP\r\n";
  for (std::size_t piece : {0u, 1u, 3u}) {
    const ReaderLog log = read_all(input, piece, limits);
    EXPECT_EQ(log.events, (std::vector<std::string>{"literal a1 LOGIN 20 nonsync too_large",
                                                     "rejected a1 [TOOBIG] literal too large", "command"}));
    EXPECT_EQ(log.commands, std::vector<std::string>{"a2 NOOP\r\n"});
  }
}

TEST(ImapReader, FourGibibyteNonSynchronizingLiteralIsDiscardedNotBuffered) {
  CommandReader reader;
  ReaderLog log;
  reader.feed("a1 APPEND INBOX {4294967296+}\r\n");
  drain(reader, log);
  const std::string chunk(1 << 20, 'x');
  EXPECT_EQ(log.events, std::vector<std::string>{"literal a1 APPEND 4294967296 nonsync too_large"});
  for (int i = 0; i < 64; ++i) reader.feed(chunk);  // 64 MiB of it, dropped as it comes
  log.events.clear();
  drain(reader, log);
  EXPECT_TRUE(log.events.empty());
  EXPECT_FALSE(reader.idle());
}

TEST(ImapReader, OverlongLinesAreRefusedAndTheConnectionStaysUsable) {
  const std::string long_line = "a1 LOGIN " + std::string(20000, 'x') + "\r\na2 NOOP\r\n";
  for (std::size_t piece : {0u, 1000u, 4096u}) {
    const ReaderLog log = read_all(long_line, piece);
    ASSERT_EQ(log.events.size(), 2u);
    EXPECT_EQ(log.events[0], "rejected a1 [TOOBIG] line too long");
    EXPECT_EQ(log.commands, std::vector<std::string>{"a2 NOOP\r\n"});
  }
  // An overlong line that ends by announcing a non-synchronizing literal: its
  // bytes are dropped too, never read as a command.
  const ReaderLog log = read_all("a1 X " + std::string(10000, 'y') + " {9+}\r\nb2 LOGOUT\r\na3 NOOP\r\n", 512);
  EXPECT_EQ(log.commands, std::vector<std::string>{"a3 NOOP\r\n"});
}

TEST(ImapReader, TinyLineLimitsStillResync) {
  ReaderLimits limits;
  limits.max_line_octets = 0;
  const std::string input = "abc\r\nlonger line {2+}\r\nxy\r\n\r\n";
  for (std::size_t piece : {0u, 1u, 2u, 5u}) {
    const ReaderLog log = read_all(input, piece, limits);
    EXPECT_EQ(log.events, (std::vector<std::string>{"rejected  [TOOBIG] line too long",
                                                    "rejected  [TOOBIG] line too long", "command"}));
    EXPECT_EQ(log.commands, std::vector<std::string>{"\r\n"});
  }
}

TEST(ImapReader, TheTotalCommandSizeIsBounded) {
  ReaderLimits limits;
  limits.max_command_octets = 100;
  std::string input = "a1 LOGIN";
  for (int i = 0; i < 10; ++i) input += " {10+}\r\n0123456789";
  input += "\r\na2 NOOP\r\n";
  const ReaderLog log = read_all(input, 0, limits);
  EXPECT_EQ(log.events.back(), "command");
  EXPECT_EQ(log.commands, std::vector<std::string>{"a2 NOOP\r\n"});
  EXPECT_EQ(std::count_if(log.events.begin(), log.events.end(),
                          [](const std::string& e) { return e.starts_with("rejected a1 [TOOBIG] "); }),
            1);
}

TEST(ImapReader, RecognisesLiteralAnnouncements) {
  EXPECT_FALSE(literal_at_end("a NOOP"));
  EXPECT_FALSE(literal_at_end("a {}"));
  EXPECT_FALSE(literal_at_end("a {1x}"));
  auto h = literal_at_end("a APPEND x ~{12+}");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size, 12u);
  EXPECT_FALSE(h->synchronizing);
  EXPECT_TRUE(h->binary);
  EXPECT_TRUE(is_idle_done("done\r\n"));
  EXPECT_FALSE(is_idle_done("a DONE\r\n"));
}

// A large APPEND literal goes to a spool, canonicalized, and the command
// text keeps only its announcement; parse_command finds it there.
TEST(ImapReader, LargeAppendLiteralsAreSpooledAndParsed) {
  ReaderLimits limits;
  limits.spool_literal_octets = 16;
  std::string message;
  for (int i = 0; i < 40; ++i) message += "line " + std::to_string(i) + "\n";  // bare LFs
  const std::string input = "a1 APPEND INBOX (\\Seen) {" + std::to_string(message.size()) + "+}\r\n" + message +
                            " {5+}\r\nsmall\r\na2 NOOP\r\n";
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, input.size()}) {
    CommandReader reader(limits);
    std::vector<reader_event::Command> commands;
    for (std::size_t at = 0; at < input.size(); at += piece) {
      reader.feed(std::string_view(input).substr(at, piece));
      while (auto event = reader.next())
        if (auto* c = std::get_if<reader_event::Command>(&*event)) commands.push_back(std::move(*c));
    }
    ASSERT_EQ(commands.size(), 2u);
    const reader_event::Command& append = commands[0];
    ASSERT_EQ(append.spooled.size(), 1u);
    EXPECT_EQ(append.text, "a1 APPEND INBOX (\\Seen) {" + std::to_string(message.size()) +
                               "+}\r\n {5+}\r\nsmall\r\n");
    std::string canonical;
    for (int i = 0; i < 40; ++i) canonical += "line " + std::to_string(i) + "\r\n";
    EXPECT_EQ(append.spooled[0].spool->read_all().value(), canonical);

    auto parsed = parse_command(append.text, {}, append.spooled);
    ASSERT_TRUE(std::holds_alternative<Command>(parsed)) << std::get<ParseError>(parsed).reason;
    const auto& body = std::get<command::Append>(std::get<Command>(parsed).body);
    ASSERT_EQ(body.messages.size(), 2u);
    ASSERT_TRUE(body.messages[0].spooled);
    EXPECT_EQ(body.messages[0].size(), canonical.size());
    EXPECT_EQ(body.messages[0].flags, std::vector<std::string>{"\\Seen"});
    EXPECT_FALSE(body.messages[1].spooled);
    EXPECT_EQ(body.messages[1].data, "small");
  }
}

TEST(ImapReader, ASpooledLiteralWhereAStringBelongsIsRefused) {
  ReaderLimits limits;
  limits.spool_literal_octets = 16;
  const std::string name(40, 'n');
  const std::string input = "a1 APPEND {40+}\r\n" + name + " {3+}\r\nabc\r\n";
  CommandReader reader(limits);
  reader.feed(input);
  std::vector<reader_event::Command> commands;
  while (auto event = reader.next())
    if (auto* c = std::get_if<reader_event::Command>(&*event)) commands.push_back(std::move(*c));
  ASSERT_EQ(commands.size(), 1u);
  ASSERT_EQ(commands[0].spooled.size(), 1u);
  auto parsed = parse_command(commands[0].text, {}, commands[0].spooled);
  ASSERT_TRUE(std::holds_alternative<ParseError>(parsed));
  EXPECT_EQ(std::get<ParseError>(parsed).reason, "APPEND: literal too large here");
}

TEST(ImapReader, OtherCommandsAndSmallLiteralsAreNeverSpooled) {
  ReaderLimits limits;
  limits.spool_literal_octets = 4;
  CommandReader reader(limits);
  reader.feed("a1 LOGIN {10+}\r\nalice@x.te {6+}\r\nsecret\r\na2 APPEND INBOX {3+}\r\nabc\r\n");
  std::vector<reader_event::Command> commands;
  while (auto event = reader.next())
    if (auto* c = std::get_if<reader_event::Command>(&*event)) commands.push_back(std::move(*c));
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_TRUE(commands[0].spooled.empty());
  EXPECT_TRUE(commands[1].spooled.empty());
}

}  // namespace
}  // namespace tern::imap
