// Spool and MappedText: a message in flight in bounded memory. See spool.hpp.
#include "core/spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tern {
namespace {

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t written = ::write(fd, data, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    n -= static_cast<std::size_t>(written);
  }
  return true;
}

// An unnamed file in `dir`: O_TMPFILE, or a name unlinked at once.
int open_unnamed(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    // The spool directory is made on first use, the owner's alone.
    std::error_code ec;
    if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);
    fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  }
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = (dir / "spool-XXXXXX").string();
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_up(std::size_t n, std::size_t unit) { return (n + unit - 1) / unit * unit; }

}  // namespace

SpoolOptions spool_options(const std::filesystem::path& data_dir) {
  SpoolOptions options;
  if (!data_dir.empty()) options.dir = data_dir / "spool";
  return options;
}

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {}

Spool::Spool(Spool&& other) noexcept
    : options_(std::move(other.options_)),
      memory_(std::move(other.memory_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      written_(other.written_),
      held_crs_(other.held_crs_),
      has_nul_(other.has_nul_),
      discarded_(other.discarded_),
      error_(std::move(other.error_)) {}

Spool& Spool::operator=(Spool&& other) noexcept {
  if (this != &other) {
    close_file();
    options_ = std::move(other.options_);
    memory_ = std::move(other.memory_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    written_ = other.written_;
    held_crs_ = other.held_crs_;
    has_nul_ = other.has_nul_;
    discarded_ = other.discarded_;
    error_ = std::move(other.error_);
  }
  return *this;
}

Spool::~Spool() { close_file(); }

void Spool::close_file() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Spool::append(std::string_view bytes) {
  if (!options_.canonicalize) return write_out(bytes);
  take(bytes);
}

// CRLF canonicalization one piece at a time. A run of CRs is held until the
// octet after it decides: before an LF, k CRs become max(k - 1, 1) CRs (CR CR
// LF loses one, a bare LF gains one); before anything else they stay.
void Spool::take(std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const auto* lf = static_cast<const char*>(std::memchr(bytes.data() + pos, '\n', bytes.size() - pos));
    const std::size_t end = lf != nullptr ? static_cast<std::size_t>(lf - bytes.data()) : bytes.size();
    if (end > pos) {
      std::size_t last = end;
      while (last > pos && bytes[last - 1] == '\r') --last;
      if (last > pos) {
        emit_crs(std::exchange(held_crs_, 0));
        write_out(bytes.substr(pos, last - pos));
      }
      held_crs_ += end - last;
    }
    if (lf == nullptr) break;
    const std::size_t k = std::exchange(held_crs_, 0);
    emit_crs(k >= 2 ? k - 1 : 1);
    write_out("\n");
    pos = end + 1;
  }
}

void Spool::emit_crs(std::size_t k) {
  static constexpr std::string_view crs("\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r\r");
  while (k > 0) {
    const std::size_t n = std::min(k, crs.size());
    write_out(crs.substr(0, n));
    k -= n;
  }
}

void Spool::finish() {
  emit_crs(std::exchange(held_crs_, 0));
  if (spilled() && !failed() && !discarded_) flush();
}

void Spool::discard() {
  discarded_ = true;
  std::string().swap(memory_);
  close_file();
}

void Spool::write_out(std::string_view bytes) {
  size_ += bytes.size();
  if (discarded_ || failed()) return;
  if (!has_nul_ && std::memchr(bytes.data(), '\0', bytes.size()) != nullptr) has_nul_ = true;
  if (!spilled()) {
    if (options_.dir.empty() || memory_.size() + bytes.size() <= options_.memory_threshold) {
      memory_.append(bytes);
      return;
    }
    spill();
    if (failed()) return;
  }
  if (memory_.size() + bytes.size() < options_.write_buffer) {
    memory_.append(bytes);
    return;
  }
  flush();
  if (failed()) return;
  if (bytes.size() < options_.write_buffer) {
    memory_.append(bytes);
    return;
  }
  if (!write_all(fd_, bytes.data(), bytes.size())) return fail(errno_text("cannot write the spool file"));
  written_ += bytes.size();
}

void Spool::spill() {
  fd_ = open_unnamed(options_.dir);
  if (fd_ < 0) return fail(errno_text("cannot create a spool file in " + options_.dir.string()));
  flush();
  std::string().swap(memory_);
  memory_.reserve(options_.write_buffer);
}

void Spool::flush() {
  if (memory_.empty()) return;
  if (!write_all(fd_, memory_.data(), memory_.size())) return fail(errno_text("cannot write the spool file"));
  written_ += memory_.size();
  memory_.clear();
}

void Spool::fail(std::string message) {
  error_ = std::move(message);
  std::string().swap(memory_);
  close_file();
}

Result<std::size_t> Spool::read(std::uint64_t offset, char* out, std::size_t n) const {
  if (failed()) return make_error(Errc::io, error_);
  if (discarded_) return make_error(Errc::internal, "the spool was discarded");
  std::size_t done = 0;
  if (spilled()) {
    while (done < n && offset + done < written_) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n - done, written_ - offset - done));
      const ssize_t got = ::pread(fd_, out + done, want, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return make_error(Errc::io, errno_text("cannot read the spool file"));
      }
      if (got == 0) return make_error(Errc::io, "the spool file is shorter than written");
      done += static_cast<std::size_t>(got);
    }
  }
  // The rest is in memory_: the whole spool, or the unflushed write buffer.
  const std::uint64_t base = spilled() ? written_ : 0;
  const std::uint64_t at = offset + done;
  if (done < n && at >= base && at - base < memory_.size()) {
    const std::size_t from = static_cast<std::size_t>(at - base);
    const std::size_t take = std::min(n - done, memory_.size() - from);
    std::memcpy(out + done, memory_.data() + from, take);
    done += take;
  }
  return done;
}

Result<std::string> Spool::read_all() const {
  std::string out(static_cast<std::size_t>(size_), '\0');
  auto n = read(0, out.data(), out.size());
  if (!n) return std::move(n).error();
  out.resize(*n);
  return out;
}

// ---- MappedText ----

Result<std::shared_ptr<const MappedText>> MappedText::map(std::string_view prefix, const Spool& spool,
                                                          std::uint64_t skip) {
  if (spool.failed()) return make_error(Errc::io, spool.error());
  if (spool.discarded()) return make_error(Errc::internal, "the spool was discarded");
  if (skip > spool.size()) return make_error(Errc::internal, "skipping past the end of the spool");
  std::shared_ptr<MappedText> out(new MappedText());
  if (!spool.spilled()) {
    std::string_view rest = spool.memory().substr(static_cast<std::size_t>(skip));
    out->copy_.reserve(prefix.size() + rest.size());
    out->copy_ += prefix;
    out->copy_ += rest;
    out->view_ = out->copy_;
    return std::shared_ptr<const MappedText>(std::move(out));
  }
  struct stat st{};
  if (::fstat(spool.fd(), &st) != 0) return make_error(Errc::io, errno_text("cannot stat the spool file"));
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size != spool.size())
    return make_error(Errc::internal, "the spool file holds " + std::to_string(file_size) + " of " +
                                          std::to_string(spool.size()) + " octets (not finished?)");
  const std::size_t page = page_size();
  // The file is mapped from the first page boundary at or after `skip`; the
  // octets from `skip` to there go behind the prefix, copied.
  std::string joined;
  const auto mapped_from = std::min<std::uint64_t>(round_up(static_cast<std::size_t>(skip), page), file_size);
  if (skip > 0) {
    joined.reserve(prefix.size() + static_cast<std::size_t>(mapped_from - skip));
    joined += prefix;
    joined.resize(prefix.size() + static_cast<std::size_t>(mapped_from - skip));
    std::size_t done = prefix.size();
    while (done < joined.size()) {
      ssize_t n = ::pread(spool.fd(), joined.data() + done, joined.size() - done,
                          static_cast<off_t>(skip + (done - prefix.size())));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return make_error(Errc::io, errno_text("cannot read the spool file"));
      done += static_cast<std::size_t>(n);
    }
    prefix = joined;
  }
  const std::size_t mapped_size = static_cast<std::size_t>(file_size - mapped_from);
  const std::size_t head = round_up(prefix.size(), page);
  const std::size_t total = head + round_up(mapped_size, page);
  if (total == 0) return std::shared_ptr<const MappedText>(std::move(out));  // nothing at all
  void* region = ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) return make_error(Errc::unavailable, errno_text("cannot reserve address space"));
  out->region_ = static_cast<char*>(region);
  out->region_size_ = total;
  if (head > 0) {
    if (::mprotect(out->region_, head, PROT_READ | PROT_WRITE) != 0)
      return make_error(Errc::unavailable, errno_text("cannot map the message prefix"));
    std::memcpy(out->region_ + head - prefix.size(), prefix.data(), prefix.size());
    ::mprotect(out->region_, head, PROT_READ);
  }
  out->file_start_ = out->region_ + head;
  if (mapped_size > 0) {
    void* file = ::mmap(out->file_start_, mapped_size, PROT_READ, MAP_SHARED | MAP_FIXED, spool.fd(),
                        static_cast<off_t>(mapped_from));
    if (file == MAP_FAILED) return make_error(Errc::unavailable, errno_text("cannot map the spool file"));
    ::madvise(out->file_start_, mapped_size, MADV_SEQUENTIAL);
  }
  out->view_ = std::string_view(out->file_start_ - prefix.size(), prefix.size() + mapped_size);
  return std::shared_ptr<const MappedText>(std::move(out));
}

MappedText::~MappedText() {
  if (region_ != nullptr) ::munmap(region_, region_size_);
}

void MappedText::release(std::uint64_t offset, std::uint64_t length) const {
  if (file_start_ == nullptr) return;
  const auto prefix = static_cast<std::uint64_t>(file_start_ - view_.data());
  std::uint64_t begin = std::max(offset, prefix) - prefix;
  std::uint64_t end = std::min<std::uint64_t>(offset + length, view_.size());
  if (end <= prefix) return;
  end -= prefix;
  const std::size_t page = page_size();
  begin = round_up(static_cast<std::size_t>(begin), page);
  // The last partial page may be released too when the range reaches the end.
  end = end + prefix == view_.size() ? round_up(static_cast<std::size_t>(end), page) : end / page * page;
  if (end > begin) ::madvise(file_start_ + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

}  // namespace tern
