// The writer thread (group commit with a savepoint per job) and the reader
// pool of the SQLite back end.
#include "store/sqlite/workers.hpp"

#include <exception>
#include <string>
#include <utility>

#include "core/log.hpp"

namespace tern::store::sqlite {

namespace {

Error closed_error() { return make_error(Errc::unavailable, "the store is closed"); }

}  // namespace

Result<void> run_guarded(Job& job, Connection& db) {
  try {
    return job.run(db);
  } catch (const std::exception& e) {
    log::error("event=store_job_failed error={}", log::kv(e.what()));
    Error error = make_error(Errc::internal, std::string("store job failed: ") + e.what());
    job.fail(error);
    return error;
  }
}

// ---- JobQueue ----

void JobQueue::push(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job->fail(closed_error());
  job->complete();
}

bool JobQueue::take(std::vector<std::unique_ptr<Job>>& out, std::size_t limit) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return false;
  while (!queue_.empty() && out.size() < limit) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

void JobQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  wake_.notify_all();
}

// ---- Writer ----

Writer::Writer(std::unique_ptr<Connection> db, std::size_t batch_limit, CommitListener on_commit)
    : db_(std::move(db)),
      batch_limit_(batch_limit == 0 ? 1 : batch_limit),
      on_commit_(std::move(on_commit)),
      thread_([this] { run(); }) {}

Writer::~Writer() { stop(); }

void Writer::submit(std::unique_ptr<Job> job) { queue_.push(std::move(job)); }

void Writer::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
  db_.reset();
}

WriterStats Writer::stats() const {
  return WriterStats{jobs_.load(), failed_jobs_.load(), commits_.load(), largest_batch_.load()};
}

void Writer::run() {
  std::vector<std::unique_ptr<Job>> batch;
  // Returns once stopping and everything queued has run.
  while (queue_.take(batch, batch_limit_)) {
    run_batch(batch);
    batch.clear();
  }
}

void Writer::run_batch(std::vector<std::unique_ptr<Job>>& batch) {
  jobs_ += batch.size();
  if (batch.size() > largest_batch_.load()) largest_batch_ = batch.size();

  auto fail_all = [&](const std::string& why) {
    (void)db_->take_changed_mailboxes();  // nothing of the batch took effect
    for (auto& job : batch) job->fail(make_error(Errc::io, why));
    failed_jobs_ += batch.size();
    for (auto& job : batch) job->complete();
  };

  if (auto begun = db_->exec("BEGIN IMMEDIATE"); !begun) {
    fail_all("cannot start a transaction: " + begun.error().message);
    return;
  }
  std::uint64_t failed = 0;
  for (auto& job : batch) {
    if (auto saved = db_->exec("SAVEPOINT job"); !saved) {
      (void)db_->exec("ROLLBACK");
      fail_all("cannot start a savepoint: " + saved.error().message);
      return;
    }
    const std::size_t mark = db_->changed_mark();
    auto status = run_guarded(*job, *db_);
    if (!db_->in_transaction()) {
      // SQLite rolled back the whole transaction (e.g. disk full, I/O
      // error): the jobs already run in this batch are lost with it.
      fail_all("the transaction was aborted" + (status ? std::string() : ": " + status.error().message));
      return;
    }
    if (status) {
      if (auto released = db_->exec("RELEASE job"); !released) {
        (void)db_->exec("ROLLBACK");
        fail_all("cannot release a savepoint: " + released.error().message);
        return;
      }
    } else {
      ++failed;
      db_->drop_changes_after(mark);
      auto undone = db_->exec("ROLLBACK TO job");
      if (undone) undone = db_->exec("RELEASE job");
      if (!undone) {
        (void)db_->exec("ROLLBACK");
        fail_all("cannot roll back a failed job: " + undone.error().message);
        return;
      }
    }
  }
  if (auto committed = db_->exec("COMMIT"); !committed) {
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
    log::error("event=store_commit_failed jobs={} error={}", batch.size(), log::kv(committed.error().message));
    fail_all("commit failed: " + committed.error().message);
    return;
  }
  ++commits_;
  failed_jobs_ += failed;
  // Only now, with the changes durable and visible to readers, may waiting
  // sessions hear of them.
  auto changed = db_->take_changed_mailboxes();
  if (on_commit_ && !changed.empty()) {
    try {
      on_commit_(changed);
    } catch (const std::exception& e) {
      // A faulty listener must not keep the batch's callers waiting.
      log::error("event=store_commit_listener_failed error={}", log::kv(e.what()));
    }
  }
  for (auto& job : batch) job->complete();
}

// ---- ReaderPool ----

ReaderPool::ReaderPool(std::vector<std::unique_ptr<Connection>> connections) : connections_(std::move(connections)) {
  threads_.reserve(connections_.size());
  for (auto& connection : connections_) {
    Connection* db = connection.get();
    threads_.emplace_back([this, db] { run(*db); });
  }
}

ReaderPool::~ReaderPool() { stop(); }

void ReaderPool::submit(std::unique_ptr<Job> job) { queue_.push(std::move(job)); }

void ReaderPool::stop() {
  queue_.close();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  connections_.clear();
}

void ReaderPool::run(Connection& db) {
  std::vector<std::unique_ptr<Job>> taken;
  while (queue_.take(taken, 1)) {
    std::unique_ptr<Job> job = std::move(taken.front());
    taken.clear();
    if (auto begun = db.exec("BEGIN"); !begun) {
      job->fail(std::move(begun).error());
    } else {
      auto status = run_guarded(*job, db);
      if (db.in_transaction()) {
        // A read-only transaction: ending it cannot lose anything.
        if (auto ended = db.exec(status ? "COMMIT" : "ROLLBACK"); !ended && status) {
          job->fail(std::move(ended).error());
        }
      }
    }
    job->complete();
  }
}

}  // namespace tern::store::sqlite
