// The threads the SQLite back end runs on, so that no SQLite call ever runs
// on a caller's (network) thread.
//
// Writer: ONE thread owns the only writing connection. It takes every job
// waiting (up to a cap) and runs them in one BEGIN IMMEDIATE ... COMMIT, each
// job inside its own SAVEPOINT: a failing job is rolled back alone and gets
// its error, the others commit together (group commit: one fsync for the
// batch). Completions are delivered only after COMMIT returned, so a caller
// that sees success may acknowledge to its client. If the commit fails, every
// job in the batch fails with Errc::io.
//
// ReaderPool: a few threads, each with its own connection (WAL lets readers
// run beside the writer); each job runs in its own read transaction so it
// sees one consistent snapshot.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite/connection.hpp"

namespace tern::store::sqlite {

// One unit of work. run() executes on a store thread; complete() hands the
// outcome to whoever waits for it and must not block.
class Job {
 public:
  virtual ~Job() = default;
  // Does the work; the returned status decides commit or rollback of the job.
  virtual Result<void> run(Connection& db) = 0;
  // Replaces the outcome with a failure (the job did not take effect).
  virtual void fail(Error error) = 0;
  // Delivers the outcome; called exactly once, after the job's fate is sealed.
  virtual void complete() = 0;
};

// Runs a job, turning an escaping exception (a bug) into Errc::internal so
// that one faulty job cannot stop the thread every other caller waits on.
Result<void> run_guarded(Job& job, Connection& db);

// The jobs waiting for a store thread. Once closed, push() refuses new jobs
// and take() hands out what is left, then reports the end.
class JobQueue {
 public:
  // Queues the job; once closed, completes it at once with Errc::unavailable.
  void push(std::unique_ptr<Job> job);
  // Waits for work, then moves up to `limit` jobs into `out`; false when the
  // queue is closed and empty.
  bool take(std::vector<std::unique_ptr<Job>>& out, std::size_t limit);
  void close();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool closed_ = false;
};

struct WriterStats {
  std::uint64_t jobs = 0;         // write jobs run
  std::uint64_t failed_jobs = 0;  // of which rolled back to their savepoint or lost to a failed commit
  std::uint64_t commits = 0;      // transactions committed (batches)
  std::uint64_t largest_batch = 0;
};

// Called on the writer thread after each commit with the mailboxes the
// committed jobs changed (possibly repeated); must not block.
using CommitListener = std::function<void(const std::vector<std::int64_t>& changed_mailboxes)>;

class Writer {
 public:
  Writer(std::unique_ptr<Connection> db, std::size_t batch_limit, CommitListener on_commit = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues the job; once stopped, the job completes at once with Errc::unavailable.
  void submit(std::unique_ptr<Job> job);
  // Runs every job already queued, then stops the thread and closes the connection.
  void stop();
  WriterStats stats() const;

 private:
  void run();
  void run_batch(std::vector<std::unique_ptr<Job>>& batch);

  std::unique_ptr<Connection> db_;
  const std::size_t batch_limit_;
  CommitListener on_commit_;
  JobQueue queue_;
  std::atomic<std::uint64_t> jobs_{0};
  std::atomic<std::uint64_t> failed_jobs_{0};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> largest_batch_{0};
  std::thread thread_;
};

class ReaderPool {
 public:
  explicit ReaderPool(std::vector<std::unique_ptr<Connection>> connections);
  ~ReaderPool();
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  void submit(std::unique_ptr<Job> job);
  void stop();

 private:
  void run(Connection& db);

  std::vector<std::unique_ptr<Connection>> connections_;
  JobQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace tern::store::sqlite
