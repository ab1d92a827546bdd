// FETCH of a large message without holding it: render_fetch with only the
// header in hand gives splices, and filling them from the message gives the
// very response rendered from the whole message.
#include <gtest/gtest.h>

#include <algorithm>

#include "helpers.hpp"
#include "imap/fetch_response.hpp"
#include "mime/message.hpp"

namespace tern::imap {
namespace {

using testing::parse_as;

std::vector<FetchItem> items(const std::string& text) {
  return parse_as<command::Fetch>("a FETCH 1 " + text + "\r\n").items;
}

std::string fill(const FetchOutput& output, std::string_view message) {
  std::string out;
  std::size_t pos = 0;
  for (const Splice& splice : output.splices) {
    out.append(output.response, pos, splice.at - pos);
    pos = splice.at;
    std::string piece(message.substr(splice.offset, splice.length));
    if (splice.replace_nul) std::replace(piece.begin(), piece.end(), '\0', static_cast<char>(0x80));
    out += piece;
  }
  out.append(output.response, pos);
  return out;
}

const std::string message =
    "Subject: streamed\r\nFrom: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n"
    "--b--\r\n";

TEST(ImapFetchStreamed, SplicedResponsesMatchTheWholeOnes) {
  const mime::MessageStructure structure = mime::analyze_message(message);
  ViewEntry entry;
  entry.uid = 7;
  entry.size = message.size();
  const std::string header(message.substr(0, structure.parts[0].header_size));
  for (const std::string spec :
       {"(RFC822)", "(BODY[])", "(BODY.PEEK[TEXT])", "(BODY[1])", "(BODY[2.HEADER] BODY[2.TEXT])",
        "(BODY[1.MIME])", "(BODY[]<10.30> BODY[TEXT]<5.1000>)", "(BODY[HEADER.FIELDS (SUBJECT)] RFC822.TEXT)",
        "(RFC822.HEADER RFC822.SIZE BODY[HEADER] BODY[9])", "(BODY[]<100000.5>)"}) {
    const auto wanted = items(spec);
    ASSERT_TRUE(streamable(wanted)) << spec;
    FetchInput whole;
    whole.seq = 1;
    whole.entry = &entry;
    whole.structure = &structure;
    whole.data = message;
    FetchInput streamed = whole;
    streamed.data = header;
    streamed.streamed = true;
    const FetchOutput expected = render_fetch(wanted, whole);
    const FetchOutput output = render_fetch(wanted, streamed);
    EXPECT_EQ(fill(output, message), expected.response) << spec;
  }
  EXPECT_FALSE(streamable(items("(BINARY[1])")));
  EXPECT_FALSE(streamable(items("(BINARY.SIZE[1])")));
  EXPECT_FALSE(streamable(items("(BODY[2.HEADER.FIELDS (SUBJECT)])")));
  EXPECT_TRUE(streamable(items("(BODY[HEADER.FIELDS.NOT (SUBJECT)])")));
}

TEST(ImapFetchStreamed, OnlyTheBytesBeyondTheHeaderAreSpliced) {
  const mime::MessageStructure structure = mime::analyze_message(message);
  ViewEntry entry;
  const std::string header(message.substr(0, structure.parts[0].header_size));
  FetchInput in;
  in.seq = 1;
  in.entry = &entry;
  in.structure = &structure;
  in.data = header;
  in.streamed = true;
  EXPECT_TRUE(render_fetch(items("(BODY[HEADER] BODY[HEADER.FIELDS (FROM)])"), in).splices.empty());
  const FetchOutput text = render_fetch(items("(BODY[TEXT])"), in);
  ASSERT_EQ(text.splices.size(), 1u);
  EXPECT_EQ(text.splices[0].offset, header.size());
  EXPECT_EQ(text.splices[0].length, message.size() - header.size());
}

}  // namespace
}  // namespace tern::imap
