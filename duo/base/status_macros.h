// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian's abseil (20220623) predates ABSL_RETURN_IF_ERROR and
// ABSL_ASSIGN_OR_RETURN, so DuoORM defines its own, once, here.

#ifndef DUO_BASE_STATUS_MACROS_H_
#define DUO_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define DUO_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status duo_status_ = (expr);       \
    if (!duo_status_.ok()) return duo_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`auto rows`) or an existing variable.
#define DUO_ASSIGN_OR_RETURN(lhs, rexpr) \
  DUO_ASSIGN_OR_RETURN_IMPL_(DUO_STATUS_MACROS_CONCAT_(duo_statusor_, __LINE__), lhs, rexpr)

#define DUO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

// The same for coroutines (duo::Task), which must co_return.
#define DUO_CO_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::absl::Status duo_status_ = (expr);          \
    if (!duo_status_.ok()) co_return duo_status_; \
  } while (false)

#define DUO_CO_ASSIGN_OR_RETURN(lhs, rexpr) \
  DUO_CO_ASSIGN_OR_RETURN_IMPL_(DUO_STATUS_MACROS_CONCAT_(duo_statusor_, __LINE__), lhs, rexpr)

#define DUO_CO_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) co_return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#define DUO_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define DUO_STATUS_MACROS_CONCAT_(a, b) DUO_STATUS_MACROS_CONCAT_INNER_(a, b)

#endif  // DUO_BASE_STATUS_MACROS_H_
