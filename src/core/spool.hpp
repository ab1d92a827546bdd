// A message in flight, in bounded memory: the bytes of a DATA, BDAT or
// APPEND are kept in memory up to a small threshold and past it spilled to an
// unnamed file in the spool directory (data_dir/spool), written through a
// fixed buffer. So a session receiving a 45 MiB message costs tens of KiB of
// memory, not 45 MiB, however many such sessions run at once.
//
// The spool file is a scratch copy, not the durable one: it is opened with
// O_TMPFILE (or unlinked at once where the file system lacks it), so it has
// no name and vanishes with its descriptor, a crash included. A message is
// durable once the store committed it (DESIGN.md rule 1); the store copies
// it from the spool in bounded pieces (MappedText below).
//
// Line endings: with `canonicalize` set, the bytes are rewritten on the way
// in exactly as mime::canonicalize_line_endings rewrites a whole message
// (an LF gets the CR it lacks, CR CR LF loses one CR), whatever the splits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern {

struct SpoolOptions {
  std::filesystem::path dir;                    // empty: memory only (tests, tools)
  std::size_t memory_threshold = 128 * 1024;    // bytes kept in memory before spilling
  std::size_t write_buffer = 64 * 1024;         // once spilled, bytes written per write(2)
  bool canonicalize = false;                    // CRLF line endings on the way in
};

// The spool of a server whose data lives in `data_dir` (data_dir/spool);
// memory only when data_dir is empty.
SpoolOptions spool_options(const std::filesystem::path& data_dir);

class Spool {
 public:
  explicit Spool(SpoolOptions options = {});
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&& other) noexcept;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  // Takes bytes. After a failure (the file could not be created or written:
  // disk full) bytes are counted and dropped; failed() tells.
  void append(std::string_view bytes);
  // The end of the input: with `canonicalize`, CRs held back to see whether
  // an LF follows are written now. Flushes the write buffer.
  void finish();
  // Drops the bytes (a message that will be refused); size() counts on.
  void discard();

  std::uint64_t size() const { return size_; }  // octets taken (after canonicalization)
  bool spilled() const { return fd_ >= 0; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  bool discarded() const { return discarded_; }
  // NUL octets were taken (IMAP: only literal8 may carry them).
  bool has_nul() const { return has_nul_; }

  // The bytes while they are in memory (not spilled); empty otherwise.
  std::string_view memory() const { return memory_; }
  // All bytes, read back (for small messages and tests).
  Result<std::string> read_all() const;
  // Up to `n` bytes at `offset`; fewer only at the end.
  Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const;
  int fd() const { return fd_; }

 private:
  void take(std::string_view bytes);
  void emit_crs(std::size_t k);
  void write_out(std::string_view bytes);
  void spill();
  void flush();
  void fail(std::string message);
  void close_file() noexcept;

  SpoolOptions options_;
  std::string memory_;         // before spilling: the bytes; after: the write buffer
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t written_ = 0;  // octets in the file
  std::size_t held_crs_ = 0;   // canonicalize: CRs whose fate the next octet decides
  bool has_nul_ = false;
  bool discarded_ = false;
  std::string error_;
};

// A read-only view of `prefix` followed by a spool's bytes, contiguous in
// memory without copying the spool: the file is mapped right after a page
// holding the prefix. The mapping is backed by the file (page cache), not by
// the heap: the kernel can drop its pages at will, and release() drops them
// from this process once they have been used. A spool still in memory is
// copied instead (it is small).
class MappedText {
 public:
  // `skip`: the first octets of the spool are left out (prefix then comes
  // right before octet `skip`), for a header section rewritten into prefix.
  static Result<std::shared_ptr<const MappedText>> map(std::string_view prefix, const Spool& spool,
                                                       std::uint64_t skip = 0);
  ~MappedText();
  MappedText(const MappedText&) = delete;
  MappedText& operator=(const MappedText&) = delete;

  std::string_view view() const { return view_; }
  // Lets the kernel drop the pages of view()[offset, offset + length) from
  // this process (they are read again from the file when touched).
  void release(std::uint64_t offset, std::uint64_t length) const;

 private:
  MappedText() = default;

  std::string copy_;              // a spool in memory
  char* region_ = nullptr;        // the whole reservation
  std::size_t region_size_ = 0;
  char* file_start_ = nullptr;    // where the first mapped octet of the file is
  std::string_view view_;
};

}  // namespace tern
