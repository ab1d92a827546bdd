// Delivery status notifications (queue/bounce.hpp), compared whole: the
// notice is pure, so its exact text is the contract.
#include "queue/bounce.hpp"

#include <gtest/gtest.h>

namespace tern::queue {
namespace {

const std::string original =
    "Return-Path: <alice@a.example>\r\nFrom: alice@a.example\r\nSubject: hi\r\n\r\nsecret body\r\n";

Notice failure_notice() {
  Notice n;
  n.hostname = "mx.a.example";
  n.to = "alice@a.example";
  n.arrival = 1700000000;  // Tue, 14 Nov 2023 22:13:20 +0000
  n.now = 1700000100;
  n.unique = "u1";
  n.recipients.push_back({"bob@b.example", "rfc822;Bob@b.example", "5.1.1", "mx.b.example",
                          "smtp; 550 5.1.1 no such user"});
  n.recipients.push_back({"carol@c.example", "", "4.4.7", "", "X-tern; connection refused (gave up after 9 attempts)"});
  return n;
}

// The notice's header section and the start of its first part, as for failure_notice().
std::string head(const std::string& subject) {
  return "From: Mail Delivery System <MAILER-DAEMON@mx.a.example>\r\n"
         "To: <alice@a.example>\r\n"
         "Subject: " + subject + "\r\n"
         "Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n"
         "Message-ID: <u1.dsn@mx.a.example>\r\n"
         "Auto-Submitted: auto-replied\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"=_tern_u1\"\r\n"
         "\r\n"
         "This is a MIME-encapsulated message.\r\n"
         "\r\n"
         "--=_tern_u1\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n"
         "Content-Description: Notification\r\n"
         "\r\n"
         "This is the mail system at host mx.a.example.\r\n"
         "\r\n";
}

// The start of the message/delivery-status part up to the per-message fields' end.
std::string report_head(const std::string& envid_field) {
  return "--=_tern_u1\r\n"
         "Content-Type: message/delivery-status\r\n"
         "Content-Description: Delivery report\r\n"
         "\r\n"
         "Reporting-MTA: dns; mx.a.example\r\n" +
         envid_field + "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n";
}

// The last part: the original's header section without Return-Path, and the closing boundary.
std::string headers_part(const std::string& kind) {
  return "--=_tern_u1\r\n"
         "Content-Type: text/rfc822-headers\r\n"
         "Content-Description: " + kind + " Message Headers\r\n"
         "\r\n"
         "From: alice@a.example\r\n"
         "Subject: hi\r\n"
         "\r\n"
         "\r\n"
         "--=_tern_u1--\r\n";
}

TEST(Notice, FailureReportExactly) {
  EXPECT_EQ(build_notice(failure_notice(), original),
            head("Undelivered Mail Returned to Sender") +
            "Your message could not be delivered to one or more recipients.\r\n"
            "It is attached below.\r\n"
            "\r\n"
            "<bob@b.example>: smtp; 550 5.1.1 no such user\r\n"
            "<carol@c.example>: X-tern; connection refused (gave up after 9 attempts)\r\n"
            "\r\n" +
            report_head("") +
            "\r\n"
            "Final-Recipient: rfc822; bob@b.example\r\n"
            "Original-Recipient: rfc822; Bob@b.example\r\n"
            "Action: failed\r\n"
            "Status: 5.1.1\r\n"
            "Remote-MTA: dns; mx.b.example\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
            "\r\n"
            "Final-Recipient: rfc822; carol@c.example\r\n"
            "Action: failed\r\n"
            "Status: 4.4.7\r\n"
            "Diagnostic-Code: X-tern; connection refused (gave up after 9 attempts)\r\n"
            "\r\n" +
            headers_part("Undelivered"));
}

TEST(Notice, DelayWarningExactly) {
  Notice n = failure_notice();
  n.delayed = true;
  n.envid = "QQ314159";
  n.return_full = true;  // a delay warning never carries the whole message
  n.retry_until = 1700432000;  // five days after arrival
  n.recipients.resize(1);
  n.recipients[0].status = "4.2.0";
  n.recipients[0].diagnostic = "smtp; 450 4.2.0 busy";
  EXPECT_EQ(build_notice(n, original),
            head("Delayed Mail (still being retried)") +
            "Your message could not be delivered yet to the recipients below.\r\n"
            "It is still being retried; you do not need to send it again.\r\n"
            "The mail system will give up on Sun, 19 Nov 2023 22:13:20 +0000.\r\n"
            "\r\n"
            "<bob@b.example>: smtp; 450 4.2.0 busy\r\n"
            "\r\n" +
            report_head("Original-Envelope-Id: QQ314159\r\n") +
            "\r\n"
            "Final-Recipient: rfc822; bob@b.example\r\n"
            "Original-Recipient: rfc822; Bob@b.example\r\n"
            "Action: delayed\r\n"
            "Status: 4.2.0\r\n"
            "Remote-MTA: dns; mx.b.example\r\n"
            "Diagnostic-Code: smtp; 450 4.2.0 busy\r\n"
            "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\r\n"
            "\r\n" +
            headers_part("Delayed"));
}

TEST(Notice, ReturnFullAttachesTheWholeMessageWithoutReturnPath) {
  Notice n = failure_notice();
  n.return_full = true;
  std::string text = build_notice(n, original);
  EXPECT_NE(text.find("--=_tern_u1\r\nContent-Type: message/rfc822\r\nContent-Description: Undelivered Message\r\n"
                      "\r\nFrom: alice@a.example\r\nSubject: hi\r\n\r\nsecret body\r\n\r\n--=_tern_u1--\r\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Return-Path"), std::string::npos);
  // An original without a final CRLF still ends its part with one.
  std::string unterminated = build_notice(n, "Subject: x\r\n\r\nno newline");
  EXPECT_TRUE(unterminated.ends_with("\r\n\r\nno newline\r\n\r\n--=_tern_u1--\r\n")) << unterminated;
}

TEST(Notice, NetworkTextCannotInjectFields) {
  Notice n = failure_notice();
  n.envid = "E1\r\nX-Injected: yes";
  n.recipients.resize(1);
  n.recipients[0].diagnostic = "smtp; 550 bad\r\nX-Injected: yes";
  n.recipients[0].remote_mta = "mx\n.example";
  n.recipients[0].orcpt = "rfc822;a\rb@b.example";
  std::string text = build_notice(n, original);
  EXPECT_EQ(text.find("\r\nX-Injected"), std::string::npos) << text;
  EXPECT_NE(text.find("Original-Envelope-Id: E1??X-Injected: yes\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Diagnostic-Code: smtp; 550 bad??X-Injected: yes\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Remote-MTA: dns; mx?.example\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Original-Recipient: rfc822; a?b@b.example\r\n"), std::string::npos) << text;
}

TEST(Notice, OriginalRecipientWithoutAddressType) {
  Notice n = failure_notice();
  n.recipients.resize(1);
  n.recipients[0].orcpt = "bob@b.example";
  EXPECT_NE(build_notice(n, original).find("Original-Recipient: bob@b.example\r\n"), std::string::npos);
}

TEST(HeaderSection, UpToTheEmptyLine) {
  EXPECT_EQ(header_section("A: 1\r\nB: 2\r\n\r\nbody\r\n"), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(header_section("A: 1\r\n"), "A: 1\r\n") << "no body: all of it";
  EXPECT_EQ(header_section("\r\nbody only\r\n"), "\r\n") << "an empty header section";
  EXPECT_EQ(header_section(""), "");
}

TEST(Bounce, AnIncompleteOriginalIsReturnedAsHeadersEvenWithRetFull) {
  Notice n = failure_notice();
  n.return_full = true;
  const std::string header = "Subject: large\r\nFrom: <a@b.example>\r\n\r\n";
  const std::string text = build_notice(n, header, false);
  EXPECT_NE(text.find("Content-Type: text/rfc822-headers"), std::string::npos);
  EXPECT_EQ(text.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_NE(text.find("Subject: large\r\n"), std::string::npos);
  EXPECT_NE(build_notice(n, header + "body\r\n", true).find("Content-Type: message/rfc822"), std::string::npos);
}

}  // namespace
}  // namespace tern::queue
