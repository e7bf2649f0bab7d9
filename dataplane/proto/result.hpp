// A value or a drop reason: the codecs' return type (no exceptions in the dataplane).
#pragma once
#include <utility>

#include "drop.hpp"

namespace bs {

template <class T>
class Result {
 public:
  Result(T v) : value_(std::move(v)), err_(Drop::none) {}  // NOLINT: implicit by design
  Result(Drop e) : value_(), err_(e) {}                     // NOLINT: implicit by design
  bool ok() const { return err_ == Drop::none; }
  explicit operator bool() const { return ok(); }
  Drop error() const { return err_; }
  const T& operator*() const { return value_; }
  T& operator*() { return value_; }
  const T* operator->() const { return &value_; }
  T* operator->() { return &value_; }

 private:
  T value_;
  Drop err_;
};

}  // namespace bs
