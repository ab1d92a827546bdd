// The POP3 protocol fed byte by byte and split at every octet: the output
// never depends on how the input was cut, and nothing completes before its LF.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace tern::pop3 {
namespace {

using testing::default_config;
using testing::Harness;
using testing::plain_response;

const std::string session_script =
    "CAPA\r\nUSER alice@example.test\r\nPASS wrong\r\nAUTH PLAIN\r\n" + plain_response("alice@example.test", "secret") +
    "\r\nSTAT\r\nLIST\r\nLIST 2\r\nUIDL\r\nUIDL 1\r\nRETR 2\r\nTOP 1 0\r\nDELE 1\r\nLIST 1\r\nRSET\r\nNOOP\r\n"
    "BOGUS\r\nDELE 3\r\nQUIT\r\n";

std::string run_whole(const std::string& script) {
  Harness h;
  h.feed(script);
  return h.take();
}

TEST(Pop3Split, ByteByByteGivesTheSameOutput) {
  const std::string whole = run_whole(session_script);
  EXPECT_TRUE(whole.ends_with("(1 messages deleted)\r\n")) << whole;
  Harness h;
  h.feed_bytes(session_script);
  EXPECT_EQ(h.take(), whole);
  EXPECT_EQ(h.expunged, (std::vector<std::vector<std::uint32_t>>{{9}}));
}

TEST(Pop3Split, EverySplitPointGivesTheSameOutput) {
  const std::string whole = run_whole(session_script);
  for (std::size_t cut = 1; cut < session_script.size(); ++cut) {
    Harness h;
    h.feed(session_script.substr(0, cut));
    h.feed(session_script.substr(cut));
    ASSERT_EQ(h.take(), whole) << "cut at " << cut;
  }
}

TEST(Pop3Split, NothingCompletesBeforeTheLineFeed) {
  const std::string commands = "USER alice@example.test\r\nPASS secret\r\nSTAT\r\nNOOP\r\n";
  Harness h;
  h.take();
  std::size_t answered = 0;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    h.feed(commands.substr(i, 1));
    const std::string out = h.take();
    if (commands[i] == '\n') {
      EXPECT_FALSE(out.empty()) << "at " << i;
      ++answered;
    } else {
      EXPECT_EQ(out, "") << "at " << i;
    }
  }
  EXPECT_EQ(answered, 4u);
}

TEST(Pop3Split, StlsSplitAtEveryOctet) {
  const std::string script = "CAPA\r\nSTLS\r\n";
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    Harness h(default_config(Mode::pop3, false));
    h.feed(script.substr(0, cut));
    h.feed(script.substr(cut));
    EXPECT_EQ(h.tls_starts, 1);
    EXPECT_TRUE(h.take().ends_with("+OK Begin TLS negotiation\r\n"));
  }
}

TEST(Pop3Split, BareLfCommandsWork) {
  Harness h;
  h.take();
  h.feed("USER alice@example.test\nPASS secret\nSTAT\n");
  EXPECT_TRUE(h.take().ends_with("+OK 3 89\r\n"));
}

}  // namespace
}  // namespace tern::pop3
