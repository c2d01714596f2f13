// Status and Result<T>: errors as values at the inference library's boundary.
//
// A Status is either ok or an error carrying a human-readable message (what went wrong and,
// where it helps, what to do). A Result<T> is either a T or an error Status. Nothing in
// pareto::inference throws for bad input or calls exit(); callers test ok() and decide.
//
//   Result<GgufFile> file = GgufFile::Open(path);
//   if (!file.ok()) return file.status();          // propagate
//   uint32_t v = file->version();                  // or use the value
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace pareto::inference {

class [[nodiscard]] Status {
 public:
  // The default Status is ok.
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), true); }

  bool ok() const { return !failed_; }
  // Empty for an ok Status.
  const std::string& message() const { return message_; }

  // Returns this error with `context` in front ("reading model.gguf: <message>");
  // an ok Status stays ok.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Error(context + ": " + message_);
  }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  // A value converts implicitly, so a function returning Result<T> can `return value;`.
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // So can an error Status: `return Status::Error("...");`. An ok Status is not a value.
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::Error("internal error: Result built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  // Ok when a value is present.
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  // Access the value; only valid when ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when this is an error.
  T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace pareto::inference
