// SPF (RFC 7208): whether a host may send mail for a domain. This header
// is the sans-I/O part: the record parser and the macro language (for
// tests and the fuzz target) and the result types; spf_check.hpp evaluates
// a query over the dns::Resolver interface.
#pragma once

#include <asio/ip/address.hpp>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace tern::spf {

// RFC 7208 2.6.
enum class Status { none, neutral, pass, fail, softfail, temperror, permerror };
std::string_view status_name(Status status);

enum class Kind { all, include, a, mx, ptr, ip4, ip6, exists };

struct Mechanism {
  Status qualifier = Status::pass;  // pass, fail, softfail or neutral
  Kind kind = Kind::all;
  std::string domain_spec;  // a macro-string; "" means the current domain
  unsigned cidr4 = 32, cidr6 = 128;
  std::array<unsigned char, 16> network{};  // ip4 (first four octets) and ip6
  std::string text;                         // the term as written, for the log
};

struct Record {
  std::vector<Mechanism> mechanisms;
  std::optional<std::string> redirect, exp;  // domain-specs
};

// Whether a TXT record is an SPF record: "v=spf1" then a space or the end.
bool is_spf_record(std::string_view txt);

// The terms of an SPF record; Errc::invalid with what is wrong for any
// syntax error (RFC 7208 4.6: the result is then permerror).
::tern::Result<Record> parse_record(std::string_view txt);

// What the macros expand to (RFC 7208 7.3).
struct MacroInput {
  std::string_view sender;  // s
  std::string_view local;   // l
  std::string_view sender_domain;  // o
  std::string_view domain;  // d
  asio::ip::address ip;     // i, c, v
  std::string_view validated;  // p
  std::string_view helo;       // h
  std::string_view receiver;   // r
  std::int64_t now = 0;        // t
};

// Checks the syntax of a macro-string; `explanation` allows the letters c,
// r and t and spaces (an explain-string).
bool valid_macro_string(std::string_view text, bool explanation);
// Whether the expansion of a macro-string needs the validated name (%{p}).
bool uses_validated_name(std::string_view text);
// Expands a macro-string whose syntax is valid.
std::string expand(std::string_view text, const MacroInput& input);
// A domain-spec expanded, shortened from the left to at most 253 octets.
std::string expand_domain(std::string_view spec, const MacroInput& input);

struct Query {
  asio::ip::address ip;
  std::string sender;  // the MAIL FROM address; "" for the HELO identity
  std::string helo;
  std::string receiver = "unknown";  // the r macro: tern's host name
  std::int64_t now = 0;
};

struct Verdict {
  Status status = Status::none;
  std::string domain;       // the domain whose policy was checked
  std::string sender;       // the identity checked (postmaster@helo when none)
  bool helo = false;        // the HELO identity was checked (no MAIL FROM)
  std::string client;       // the client's address
  std::string mechanism;    // what matched, or why it failed
  std::string explanation;  // on fail: the domain's exp= text, "" when none
};

}  // namespace tern::spf
