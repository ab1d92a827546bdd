// The exclusive-access lock on a maildrop (RFC 1939 8: one POP3 session per
// maildrop at a time), kept in process and keyed by account id. Other
// protocols (IMAP) do not take it: they may add messages to, or expunge
// from, the INBOX while a POP3 session holds it.
#pragma once

#include <cstdint>
#include <optional>

namespace tern::pop3 {

class MaildropLock {
 public:
  // The lock for the account, or nullopt when another session holds it.
  static std::optional<MaildropLock> acquire(std::int64_t account_id);

  MaildropLock(MaildropLock&& other) noexcept : account_id_(other.account_id_), held_(other.held_) {
    other.held_ = false;
  }
  MaildropLock& operator=(MaildropLock&& other) noexcept;
  MaildropLock(const MaildropLock&) = delete;
  MaildropLock& operator=(const MaildropLock&) = delete;
  ~MaildropLock() { release(); }

  void release();

 private:
  explicit MaildropLock(std::int64_t account_id) : account_id_(account_id), held_(true) {}

  std::int64_t account_id_ = 0;
  bool held_ = false;
};

}  // namespace tern::pop3
