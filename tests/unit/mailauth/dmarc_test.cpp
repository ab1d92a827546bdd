// DMARC: the record's tags, organizational domains from the Public Suffix
// List, alignment, policy discovery (the From: domain, then its
// organizational domain), sp=, pct= and DNS failures.
#include "mailauth/dmarc_check.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "support/stub_resolver.hpp"

namespace tern::dmarc {
namespace {

Verdict run(test::StubResolver& dns, std::string from, Identifiers ids, unsigned sample = 0) {
  asio::io_context io;
  auto future = asio::co_spawn(io, check(dns, std::move(from), std::move(ids), sample), asio::use_future);
  io.run();
  return future.get();
}

TEST(DmarcRecord, Tags) {
  auto r = parse_record("v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=25; "
                        "rua=mailto:a@example.com, mailto:b@example.net; ruf=mailto:f@example.com; fo=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->policy, Disposition::reject);
  EXPECT_EQ(r->subdomain_policy, Disposition::quarantine);
  EXPECT_EQ(r->dkim, Alignment::strict);
  EXPECT_EQ(r->spf, Alignment::relaxed);
  EXPECT_EQ(r->percent, 25u);
  ASSERT_EQ(r->aggregate_uris.size(), 2u);
  EXPECT_EQ(r->aggregate_uris[1], "mailto:b@example.net");
  EXPECT_EQ(r->failure_uris.size(), 1u);
}

TEST(DmarcRecord, JunkIsNotARecordOrFallsBackToDefaults) {
  EXPECT_FALSE(parse_record("v=spf1 -all"));
  EXPECT_FALSE(parse_record("p=reject; v=DMARC1"));  // v= must come first
  EXPECT_FALSE(parse_record(""));
  EXPECT_FALSE(parse_record(std::string(10000, ';')));
  auto junk = parse_record("v=DMARC1; p=bogus; pct=250; adkim=x; =;;;; ; foo");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->policy, Disposition::none);
  EXPECT_EQ(junk->percent, 100u);
  EXPECT_EQ(junk->dkim, Alignment::relaxed);
}

TEST(Dmarc, OrganizationalDomainsComeFromThePublicSuffixList) {
  EXPECT_EQ(organizational_domain("mail.example.com"), "example.com");
  EXPECT_EQ(organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(organizational_domain("Example.COM."), "example.com");
  EXPECT_EQ(organizational_domain("co.uk"), "co.uk");
  EXPECT_TRUE(aligned("mail.example.com", "example.com", Alignment::relaxed));
  EXPECT_FALSE(aligned("mail.example.com", "example.com", Alignment::strict));
  EXPECT_FALSE(aligned("example.co.uk", "other.co.uk", Alignment::relaxed));
  EXPECT_FALSE(aligned("", "example.com", Alignment::relaxed));
}

TEST(Dmarc, PassNeedsAnAlignedIdentifier) {
  test::StubResolver dns;
  dns.txt["_dmarc.example.com"] = {"v=DMARC1; p=reject"};
  Identifiers spf_only;
  spf_only.spf_pass_domain = "bounces.example.com";
  auto v = run(dns, "example.com", spf_only);
  EXPECT_EQ(v.status, Status::pass);
  EXPECT_TRUE(v.spf_aligned);

  Identifiers unaligned;
  unaligned.spf_pass_domain = "example.net";
  unaligned.dkim_pass_domains = {"example.org"};
  v = run(dns, "example.com", unaligned);
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.applied, Disposition::reject);

  Identifiers dkim;
  dkim.dkim_pass_domains = {"example.net", "example.com"};
  EXPECT_EQ(run(dns, "example.com", dkim).status, Status::pass);
}

TEST(Dmarc, SubdomainsUseTheOrganizationalRecordAndSp) {
  test::StubResolver dns;
  dns.txt["_dmarc.example.com"] = {"v=DMARC1; p=reject; sp=quarantine"};
  auto v = run(dns, "news.example.com", {});
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.policy_domain, "example.com");
  EXPECT_EQ(v.policy, Disposition::quarantine);
  // A record of the subdomain's own wins.
  dns.txt["_dmarc.news.example.com"] = {"v=DMARC1; p=none"};
  EXPECT_EQ(run(dns, "news.example.com", {}).policy, Disposition::none);
}

TEST(Dmarc, PctSamplesThePolicy) {
  test::StubResolver dns;
  dns.txt["_dmarc.example.com"] = {"v=DMARC1; p=reject; pct=30"};
  EXPECT_EQ(run(dns, "example.com", {}, 29).applied, Disposition::reject);
  EXPECT_EQ(run(dns, "example.com", {}, 30).applied, Disposition::quarantine);
  dns.txt["_dmarc.example.com"] = {"v=DMARC1; p=quarantine; pct=0"};
  EXPECT_EQ(run(dns, "example.com", {}, 0).applied, Disposition::none);
}

TEST(Dmarc, NoneTwoRecordsAndDnsFailure) {
  test::StubResolver dns;
  dns.txt["_dmarc.two.example"] = {"v=DMARC1; p=reject", "v=DMARC1; p=none"};
  dns.failing.insert("_dmarc.broken.example");
  EXPECT_EQ(run(dns, "nothing.example", {}).status, Status::none);
  EXPECT_EQ(run(dns, "two.example", {}).status, Status::none);
  EXPECT_EQ(run(dns, "broken.example", {}).status, Status::temperror);
  EXPECT_EQ(run(dns, "", {}).status, Status::permerror);
}

}  // namespace
}  // namespace tern::dmarc
