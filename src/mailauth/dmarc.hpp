// DMARC (RFC 7489, with the simplifications of DMARCbis where they help),
// the sans-I/O part: the policy record, organizational domains from the
// Public Suffix List (libpsl with Debian's publicsuffix list), identifier
// alignment, and the result types; dmarc_check.hpp checks one message over
// the dns::Resolver interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace tern::dmarc {

enum class Status { none, pass, fail, temperror, permerror };
std::string_view status_name(Status status);

enum class Disposition { none, quarantine, reject };
std::string_view disposition_name(Disposition disposition);

enum class Alignment { relaxed, strict };

struct Record {
  Disposition policy = Disposition::none;           // p= (missing or unknown: none, as DMARCbis says)
  std::optional<Disposition> subdomain_policy;      // sp=
  Alignment dkim = Alignment::relaxed;              // adkim=
  Alignment spf = Alignment::relaxed;               // aspf=
  unsigned percent = 100;                           // pct=
  std::vector<std::string> aggregate_uris;          // rua=
  std::vector<std::string> failure_uris;            // ruf=
};

// A TXT record as a DMARC record: Errc::invalid when it does not start with
// "v=DMARC1" or a tag is malformed beyond use.
::tern::Result<Record> parse_record(std::string_view txt);

// The organizational domain (RFC 7489 3.2): the registrable domain under
// the Public Suffix List, lower case; the domain itself when it is a
// public suffix or the list does not know it.
std::string organizational_domain(std::string_view domain);

// Identifier alignment (RFC 7489 3.1): strict wants the same name, relaxed
// the same organizational domain.
bool aligned(std::string_view a, std::string_view b, Alignment mode);

// What SPF and DKIM proved for one message.
struct Identifiers {
  std::string spf_pass_domain;                 // the MAIL FROM domain when SPF passed, else ""
  std::vector<std::string> dkim_pass_domains;  // d= of each signature that passed
};

struct Verdict {
  Status status = Status::none;
  std::string from_domain;    // the RFC5322.From domain
  std::string policy_domain;  // where the record was found ("" when none)
  Disposition policy = Disposition::none;   // p= or sp= for this message
  Disposition applied = Disposition::none;  // after pct= (a fail only)
  bool spf_aligned = false, dkim_aligned = false;
  std::string reason;  // why there is no verdict (temperror, permerror, none)
  Record record;
};

}  // namespace tern::dmarc
