// The mail transaction: MAIL, RCPT, DATA, BDAT and the end of a message.
//   RFC 5321 4.1.1.2-4 and 3.3 (sequence: 503 out of order, 554 no valid
//   recipients), 4.5.3.1.8 and 4.5.3.1.10 (452 too many recipients),
//   RFC 1870 (SIZE, 552 5.3.4), RFC 3030 2 (BDAT: the announced octets are
//   always consumed; BDAT and DATA do not mix in one transaction).
#include "core/text.hpp"
#include "smtp/protocol/server_protocol.hpp"

namespace tern::smtp {
namespace {

const char* const too_big_text = "Message size exceeds fixed maximum message size";

// "BDAT" SP chunk-size [SP end-marker] (RFC 3030 2).
struct BdatArguments {
  std::uint64_t size = 0;
  bool last = false;
};

std::optional<BdatArguments> parse_bdat(std::string_view arguments) {
  const std::size_t space = arguments.find(' ');
  const std::string_view digits = arguments.substr(0, space);
  BdatArguments out;
  if (space != std::string_view::npos) {
    std::string_view marker = arguments.substr(space + 1);
    if (!text::iequals(marker, "LAST")) return std::nullopt;
    out.last = true;
  }
  // 19 digits always fit in 64 bits; no chunk is ever that large anyway.
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    out.size = out.size * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return out;
}

}  // namespace

void ServerProtocol::handle_mail(std::string_view arguments) {
  if (transaction_) return refuse(503, "5.5.1", "Nested MAIL command");
  auto parsed = parse_mail_arguments(arguments);
  if (auto* refusal = std::get_if<Refusal>(&parsed)) return refuse(*refusal);
  auto& mail = std::get<MailArguments>(parsed);
  if (mail.size && *mail.size > config_.max_message_size) return refuse(552, "5.3.4", too_big_text);
  // An account may send only as itself or its aliases; the null
  // reverse-path (notifications, RFC 5321 4.5.5) stays allowed.
  if (!auth_user_.empty() && mail.sender) {
    out_.push_back(action::CheckSender{*mail.sender, auth_user_});
    pending_mail_ = std::move(mail);
    awaiting_ = Awaiting::sender;
    return;
  }
  transaction_.emplace();
  transaction_->mail = std::move(mail);
  reply(250, "2.1.0", "Sender ok");
}

void ServerProtocol::handle_rcpt(std::string_view arguments) {
  if (!transaction_) return refuse(503, "5.5.1", "Need MAIL command");
  if (transaction_->chunking) return refuse(503, "5.5.1", "RCPT is not allowed after BDAT");
  auto parsed = parse_rcpt_arguments(arguments, transaction_->mail.smtputf8, config_.postmaster_domain);
  if (auto* refusal = std::get_if<Refusal>(&parsed)) return refuse(*refusal);
  auto& recipient = std::get<Recipient>(parsed);
  // Not counted as an error: the client is expected to send the rest in
  // another transaction (RFC 5321 4.5.3.1.10).
  if (transaction_->recipients.size() >= config_.max_recipients)
    return reply(452, "4.5.3", "Too many recipients");
  const std::string key = address::canonical(recipient.address);
  for (const Recipient& accepted : transaction_->recipients)
    if (address::canonical(accepted.address) == key) return reply(250, "2.1.5", "Recipient ok");
  out_.push_back(action::CheckRecipient{recipient.address, recipient.postmaster, auth_user_});
  pending_recipient_ = std::move(recipient);
  awaiting_ = Awaiting::recipient;
}

void ServerProtocol::handle_data(std::string_view arguments) {
  if (!arguments.empty()) return refuse(501, "5.5.4", "Syntax: DATA");
  if (!transaction_) return refuse(503, "5.5.1", "Need MAIL command");
  if (transaction_->chunking) return refuse(503, "5.5.1", "DATA cannot follow BDAT in one transaction");
  if (transaction_->recipients.empty()) return refuse(554, "5.5.1", "No valid recipients");
  transaction_->body.emplace(DataReader::Framing::dot_stuffed, config_.max_message_size, config_.spool);
  input_ = Input::data;
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
}

void ServerProtocol::handle_bdat(std::string_view arguments, std::optional<Refusal> refusal) {
  auto parsed = parse_bdat(arguments);
  // Without a readable size the chunk cannot be skipped; what follows will be
  // read as commands, which can only hurt the client that sent it.
  if (!parsed) return refuse(501, "5.5.4", "Syntax: BDAT size [LAST]");
  if (!refusal && !transaction_) refusal = Refusal{503, "5.5.1", "Need MAIL command"};
  if (!refusal && transaction_->recipients.empty()) refusal = Refusal{554, "5.5.1", "No valid recipients"};
  if (!refusal) {
    transaction_->chunking = true;
    if (!transaction_->body) transaction_->body.emplace(DataReader::Framing::counted, config_.max_message_size, config_.spool);
  }
  chunk_ = Chunk{parsed->size, parsed->size, parsed->last, std::move(refusal)};
  input_ = Input::chunk;
}

void ServerProtocol::finish_chunk() {
  if (chunk_.refusal) return refuse(*chunk_.refusal);
  DataReader& body = *transaction_->body;
  if (chunk_.last) {
    body.end_of_chunks();
    return finish_message(body);
  }
  // Refuse an oversized message at once; the client's further chunks are
  // consumed and answered "503" as there is no transaction any more.
  if (body.problem() == DataReader::Problem::too_big) {
    transaction_.reset();
    return refuse(552, "5.3.4", too_big_text);
  }
  reply(250, "2.0.0", std::to_string(chunk_.size) + " octets received");
}

void ServerProtocol::finish_message(DataReader& body) {
  const DataReader::Problem problem = body.problem();
  if (problem != DataReader::Problem::none) {
    transaction_.reset();
    switch (problem) {
      case DataReader::Problem::too_big: return refuse(552, "5.3.4", too_big_text);
      case DataReader::Problem::bare_line_break:
        return refuse(550, "5.6.0", "Message refused: bare CR or LF found, lines must end with CRLF");
      case DataReader::Problem::line_too_long:
        return refuse(550, "5.6.0", "Message refused: a line is longer than 1000 octets");
      case DataReader::Problem::no_storage:
        return refuse(452, "4.3.1", "Insufficient system storage, try again later");
      case DataReader::Problem::none: break;
    }
  }
  action::Deliver deliver{make_envelope(), body.take_message()};
  transaction_.reset();
  out_.push_back(std::move(deliver));
  awaiting_ = Awaiting::delivery;
}

Envelope ServerProtocol::make_envelope() const {
  const MailArguments& mail = transaction_->mail;
  Envelope envelope;
  envelope.sender = mail.sender;
  envelope.recipients = transaction_->recipients;
  envelope.body = mail.body;
  envelope.smtputf8 = mail.smtputf8;
  envelope.declared_size = mail.size;
  envelope.envid = mail.envid;
  envelope.ret = mail.ret;
  envelope.helo = helo_;
  envelope.esmtp = esmtp_;
  envelope.chunking = transaction_->chunking;
  envelope.auth_user = auth_user_;
  envelope.tls = tls_;
  envelope.peer_address = connection_.peer_address;
  envelope.peer_name = connection_.peer_name;
  return envelope;
}

}  // namespace tern::smtp
