// libFuzzer target for the IMAP protocol layer (src/imap/protocol): random
// bytes fed to the CommandReader in random splits, synchronizing literals
// accepted or refused from the first byte, every command parsed.
// Checks, beyond "no crash": the same input whole and split gives the same
// events; a command ends in CRLF and stays within the reader's bounds;
// a parsed command has a tag; strings written by quote_string() read back
// as the same bytes; a modified UTF-7 name that decodes encodes back to
// itself, and an encoded name decodes to the original.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/command.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/protocol/mailbox_name.hpp"
#include "imap/protocol/reader.hpp"
#include "imap/protocol/response.hpp"

namespace {

using namespace tern::imap;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_round_trips(const std::string& text) {
  const std::string quoted = quote_string(text, text.size() % 2 == 0);
  Lexer lexer(quoted, 32);
  auto back = lexer.peek() == '~' ? lexer.literal(true) : lexer.string();
  check(back && *back == text && lexer.at_end());
  if (auto decoded = decode_modified_utf7(text)) check(encode_modified_utf7(*decoded) == text);
  if (auto encoded = encode_modified_utf7(text)) check(decode_modified_utf7(*encoded) == text);
}

std::vector<std::string> run(std::string_view input, std::uint8_t flags, std::size_t first_piece) {
  ReaderLimits limits;
  limits.max_line_octets = 256;
  limits.max_literal_octets = 512;
  limits.max_append_literal_octets = 4096;
  limits.max_command_octets = 2048;
  limits.spool_literal_octets = 64;  // APPEND literals past 64 octets go to a spool (in memory here)
  CommandReader reader(limits);
  std::vector<std::string> events;
  unsigned decision = flags;
  auto drain = [&] {
    while (auto event = reader.next()) {
      if (auto* command = std::get_if<reader_event::Command>(&*event)) {
        const std::string& text = command->text;
        check(text.ends_with("\r\n"));
        check(text.size() <= limits.max_command_octets + limits.max_append_literal_octets);
        events.push_back("C" + text);
        for (const SpooledLiteral& spooled : command->spooled) check(spooled.offset <= text.size() && spooled.spool);
        auto parsed = parse_command(text, {}, command->spooled);
        if (auto* c = std::get_if<Command>(&parsed)) {
          check(!c->tag.empty() && !c->name.empty());
          if (auto* login = std::get_if<command::Login>(&c->body)) {
            check_round_trips(login->username);
            check_round_trips(login->password);
          }
          if (auto* select = std::get_if<command::Select>(&c->body)) check_round_trips(select->mailbox);
        } else {
          check(!std::get<ParseError>(parsed).reason.empty());
        }
      } else if (auto* literal = std::get_if<reader_event::LiteralAnnounced>(&*event)) {
        check(literal->too_large || literal->size <= limits.max_append_literal_octets);
        check(!literal->too_large || !literal->synchronizing);
        events.push_back("L" + std::to_string(literal->size));
        if (literal->synchronizing) {
          if ((decision++ % 5) == 4) reader.refuse_literal();
          else reader.accept_literal();
        }
      } else {
        const auto& rejected = std::get<reader_event::Rejected>(*event);
        events.push_back("R" + rejected.tag + " " + rejected.reason);
      }
    }
  };
  std::size_t at = 0;
  std::size_t piece = first_piece == 0 ? input.size() : first_piece;
  while (at < input.size()) {
    const std::size_t n = piece < input.size() - at ? piece : input.size() - at;
    reader.feed(input.substr(at, n));
    drain();
    at += n;
    piece = (piece * 7 + 3) % 64 + 1;
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t split = data[1];
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  check_round_trips(std::string(input.substr(0, 64)));
  const auto whole = run(input, flags, 0);
  check(run(input, flags, split) == whole);
  return 0;
}
