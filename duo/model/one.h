// duo::One<T>: the member a belongs-to or has-one relationship loads into.

#ifndef DUO_MODEL_ONE_H_
#define DUO_MODEL_ONE_H_

#include <memory>
#include <utility>

namespace duo {

// Zero or one related object, held by value: copying a One copies the
// object. Unlike std::optional it accepts a type that is still incomplete,
// so two models can refer to each other (an order's customer, a customer's
// orders).
//
//   struct Order {
//     int64_t customer_id = 0;
//     duo::One<Customer> customer;   // filled by Related("customer")
//   };
//   if (order.customer) std::cout << order.customer->name;
template <typename T>
class One {
 public:
  One() = default;
  One(const One& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  One(One&&) noexcept = default;
  One& operator=(const One& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  One& operator=(One&&) noexcept = default;
  One(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT: like optional

  bool has_value() const { return value_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return value_.get(); }
  const T* operator->() const { return value_.get(); }
  T* get() { return value_.get(); }
  const T* get() const { return value_.get(); }

  T& emplace(T value) {
    value_ = std::make_unique<T>(std::move(value));
    return *value_;
  }
  void reset() { value_.reset(); }

  // Equal when both are empty or both hold equal objects.
  friend bool operator==(const One& a, const One& b) {
    if (!a.value_ || !b.value_) return !a.value_ && !b.value_;
    return *a.value_ == *b.value_;
  }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace duo

#endif  // DUO_MODEL_ONE_H_
