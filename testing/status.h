// Assertions on absl::Status and absl::StatusOr for tests. DUO_-prefixed,
// so that they cannot collide with a project's own ASSERT_OK.
//
//   DUO_ASSERT_OK(db.Connect());
//   DUO_ASSERT_OK_AND_ASSIGN(std::vector<Order> orders, Order::FilterBy({{"status", "x"}}).All());
//
// The expression is variadic, so braced lists with commas need no extra
// parentheses.

#ifndef DUO_TESTING_STATUS_H_
#define DUO_TESTING_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "gtest/gtest.h"

#define DUO_ASSERT_OK(...)                                    \
  do {                                                        \
    const absl::Status assert_ok_status_ = (__VA_ARGS__);     \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (false)

#define DUO_EXPECT_OK(...)                                    \
  do {                                                        \
    const absl::Status expect_ok_status_ = (__VA_ARGS__);     \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_; \
  } while (false)

#define DUO_ASSERT_OK_AND_ASSIGN(lhs, ...) \
  DUO_ASSERT_OK_AND_ASSIGN_IMPL_(DUO_ASSERT_CONCAT_(duo_statusor_, __LINE__), lhs, (__VA_ARGS__))
#define DUO_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = rexpr;                                     \
  ASSERT_TRUE(statusor.ok()) << statusor.status();           \
  lhs = *std::move(statusor)
#define DUO_ASSERT_CONCAT_INNER_(a, b) a##b
#define DUO_ASSERT_CONCAT_(a, b) DUO_ASSERT_CONCAT_INNER_(a, b)

#endif  // DUO_TESTING_STATUS_H_
