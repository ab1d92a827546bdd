// Test helpers for the IMAP protocol: parse a command line that must parse
// (or must not), and drive a CommandReader collecting what it produces.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "imap/protocol/command.hpp"
#include "imap/protocol/reader.hpp"

namespace tern::imap::testing {

inline Command parse_ok(const std::string& text) {
  auto result = parse_command(text);
  if (auto* error = std::get_if<ParseError>(&result)) {
    ADD_FAILURE() << "did not parse: " << text << " -> " << error->reason;
    return Command{};
  }
  return std::get<Command>(std::move(result));
}

template <class T>
T parse_as(const std::string& text) {
  Command command = parse_ok(text);
  if (auto* body = std::get_if<T>(&command.body)) return *body;
  ADD_FAILURE() << "wrong command type for " << text;
  return T{};
}

inline ParseError parse_bad(const std::string& text) {
  auto result = parse_command(text);
  if (auto* error = std::get_if<ParseError>(&result)) return *error;
  ADD_FAILURE() << "parsed but should not: " << text;
  return ParseError{};
}

// Everything a reader produced, in order, as readable strings; synchronizing
// literals are accepted unless `refuse` is set.
struct ReaderLog {
  std::vector<std::string> events;
  std::vector<std::string> commands;
};

inline void drain(CommandReader& reader, ReaderLog& log, bool refuse = false) {
  while (auto event = reader.next()) {
    if (auto* c = std::get_if<reader_event::Command>(&*event)) {
      log.events.push_back("command");
      log.commands.push_back(c->text);
    } else if (auto* l = std::get_if<reader_event::LiteralAnnounced>(&*event)) {
      log.events.push_back("literal " + l->tag + " " + l->command + " " + std::to_string(l->size) +
                           (l->synchronizing ? " sync" : " nonsync") + (l->binary ? " binary" : "") +
                           (l->too_large ? " too_large" : ""));
      if (l->synchronizing) {
        if (refuse) reader.refuse_literal();
        else reader.accept_literal();
      }
    } else if (auto* r = std::get_if<reader_event::Rejected>(&*event)) {
      log.events.push_back("rejected " + r->tag + " [" + r->code + "] " + r->reason);
    }
  }
}

inline ReaderLog read_all(const std::string& input, std::size_t piece = 0, ReaderLimits limits = {}) {
  CommandReader reader(limits);
  ReaderLog log;
  if (piece == 0) piece = input.size() ? input.size() : 1;
  for (std::size_t at = 0; at < input.size(); at += piece) {
    reader.feed(std::string_view(input).substr(at, piece));
    drain(reader, log);
  }
  return log;
}

}  // namespace tern::imap::testing
