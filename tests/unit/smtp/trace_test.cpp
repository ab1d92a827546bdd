// Received:, Return-Path:, Date: and Message-ID: fields.
#include <gtest/gtest.h>

#include "smtp/protocol/trace.hpp"

namespace tern::smtp {
namespace {

Envelope sample() {
  Envelope e;
  e.sender = address::Address{"alice", "example.org"};
  e.recipients.push_back(Recipient{address::Address{"bob", "example.test"}, "", 0, false});
  e.helo = "client.example.net";
  e.esmtp = true;
  e.peer_address = "192.0.2.7";
  e.peer_name = "client.example.net";
  return e;
}

TEST(SmtpTrace, FormatsRfc5322Dates) {
  EXPECT_EQ(trace::format_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(trace::format_date(1678788000), "Tue, 14 Mar 2023 10:00:00 +0000");
}

TEST(SmtpTrace, ReceivedForRelayedMail) {
  const std::string r = trace::received_field(sample(), "mail.example.test", "ABC123", 1678788000);
  EXPECT_EQ(r,
            "Received: from client.example.net (client.example.net [192.0.2.7])\r\n"
            "\tby mail.example.test (tern) with ESMTP id ABC123\r\n"
            "\tfor <bob@example.test>; Tue, 14 Mar 2023 10:00:00 +0000\r\n");
}

TEST(SmtpTrace, ReceivedForAuthenticatedTlsSubmission) {
  Envelope e = sample();
  e.tls = TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"};
  e.auth_user = "alice@example.test";
  e.peer_name.clear();
  e.peer_address = "2001:db8::1";
  e.recipients.push_back(Recipient{address::Address{"carol", "example.test"}, "", 0, false});
  const std::string r = trace::received_field(e, "mail.example.test", "X1", 0);
  EXPECT_EQ(r,
            "Received: from client.example.net ([IPv6:2001:db8::1])\r\n"
            "\tby mail.example.test (tern) with ESMTPSA id X1\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
            "\t(authenticated as alice@example.test); Thu, 1 Jan 1970 00:00:00 +0000\r\n");
  EXPECT_EQ(r.find("for <"), std::string::npos);  // two recipients: neither is named
}

TEST(SmtpTrace, ProtocolNames) {
  Envelope e = sample();
  EXPECT_EQ(trace::protocol_name(e), "ESMTP");
  e.tls = TlsInfo{};
  EXPECT_EQ(trace::protocol_name(e), "ESMTPS");
  e.auth_user = "u";
  EXPECT_EQ(trace::protocol_name(e), "ESMTPSA");
  e.smtputf8 = true;
  EXPECT_EQ(trace::protocol_name(e), "UTF8SMTPSA");
  e.esmtp = false;
  EXPECT_EQ(trace::protocol_name(e), "SMTP");
}

TEST(SmtpTrace, HostileHeloCannotBreakTheField) {
  Envelope e = sample();
  e.helo = "evil)(\\;x";
  e.auth_user = "a)b";
  const std::string r = trace::received_field(e, "mail.example.test", "i;d", 0);
  EXPECT_NE(r.find("from evil????x ("), std::string::npos);
  EXPECT_NE(r.find("(authenticated as a?b)"), std::string::npos);
  EXPECT_NE(r.find("id i?d"), std::string::npos);
}

TEST(SmtpTrace, ReturnPath) {
  EXPECT_EQ(trace::return_path_field(sample()), "Return-Path: <alice@example.org>\r\n");
  Envelope bounce = sample();
  bounce.sender.reset();
  EXPECT_EQ(trace::return_path_field(bounce), "Return-Path: <>\r\n");
}

TEST(SmtpTrace, HeaderScanStopsAtTheBody) {
  const std::string message = "From: a@example.org\r\nSubject: x\r\n date: folded, not a field\r\n\r\nDate: in the body\r\n";
  EXPECT_TRUE(trace::has_field(message, "subject"));
  EXPECT_TRUE(trace::has_field(message, "FROM"));
  EXPECT_FALSE(trace::has_field(message, "Date"));
  EXPECT_TRUE(trace::has_field("Message-Id : <x@y>\r\n\r\n", "Message-ID"));
}

TEST(SmtpTrace, MissingSubmissionFields) {
  EXPECT_EQ(trace::missing_submission_fields("Subject: x\r\n\r\nbody\r\n", "mail.example.test", "u1", 0),
            "Date: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-ID: <u1@mail.example.test>\r\n");
  EXPECT_EQ(trace::missing_submission_fields("Date: x\r\nMessage-ID: <a@b>\r\n\r\n", "h.example", "u", 0), "");
  EXPECT_EQ(trace::missing_submission_fields("date: x\r\n\r\n", "h.example", "u", 0),
            "Message-ID: <u@h.example>\r\n");
}

}  // namespace
}  // namespace tern::smtp
