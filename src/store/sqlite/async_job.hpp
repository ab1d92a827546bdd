// The bridge from a store thread back to the awaiting coroutine: a Job that
// carries a completion handler of signature void(Result<T>) and, when done,
// posts the result to the handler's own executor, so the coroutine resumes on
// its thread and never on a store thread. The handler's executor is kept
// busy (outstanding work) while the job waits, so an io_context does not run
// out of work and return while a store call is pending.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <optional>
#include <utility>

#include "core/result.hpp"
#include "store/sqlite/workers.hpp"

namespace tern::store::sqlite {

template <class T, class Fn, class Handler>
class AsyncJob final : public Job {
 public:
  AsyncJob(Fn work, Handler handler)
      : work_(std::move(work)),
        handler_(std::move(handler)),
        executor_(asio::prefer(asio::get_associated_executor(handler_), asio::execution::outstanding_work.tracked)) {}

  Result<void> run(Connection& db) override {
    result_.emplace(work_(db));
    if (result_->ok()) return {};
    return result_->error();
  }

  void fail(Error error) override { result_.emplace(std::move(error)); }

  void complete() override {
    if (!result_) result_.emplace(make_error(Errc::internal, "store job completed without running"));
    asio::post(executor_, [handler = std::move(handler_), result = std::move(*result_)]() mutable {
      std::move(handler)(std::move(result));
    });
  }

 private:
  using TrackedExecutor = decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler>>(),
                                                asio::execution::outstanding_work.tracked));
  Fn work_;
  Handler handler_;
  TrackedExecutor executor_;
  std::optional<Result<T>> result_;
};

}  // namespace tern::store::sqlite
