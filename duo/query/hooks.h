// Model hooks: member functions a model declares to take part in its own
// lifecycle. None is required; DuoORM finds the ones a model has.
//
//   struct Order : duo::Model<Order> {
//     ...
//     absl::Status Validate() const;              // every save (create and update)
//     absl::Status BeforeCreate();                 // may change the object, or veto
//     absl::Status AfterCreate();                  // same transaction; an error rolls back
//     absl::Status BeforeUpdate();  absl::Status AfterUpdate();
//     absl::Status BeforeDelete();  absl::Status AfterDelete();
//     static absl::Status BeforeBulkUpdate(const duo::Query<Order>& query, duo::Payload& changes);
//     static absl::Status AfterBulkUpdate(const duo::Query<Order>& query,
//                                         const duo::Payload& changes, int64_t rows);
//     static absl::Status BeforeBulkDelete(const duo::Query<Order>& query);
//     static absl::Status AfterBulkDelete(const duo::Query<Order>& query, int64_t rows);
//   };
//
// Order on save: Validate, timestamps, Before*, the statement, After*.
// A before-hook's error vetoes: no SQL runs, the caller gets that status.
// After-hooks run inside the operation's transaction (the caller's managed
// transaction, or one the ORM opens for the call), so model calls they make
// join it and their failure undoes the whole operation.

#ifndef DUO_QUERY_HOOKS_H_
#define DUO_QUERY_HOOKS_H_

#include <concepts>
#include <cstdint>

#include "absl/status/status.h"
#include "duo/model/object_hooks.h"
#include "duo/model/payload.h"

namespace duo {

template <typename T>
class Query;

namespace hooks {

// The per-object concepts (HasValidate, HasBeforeCreate, ... HasAfterDelete)
// are in duo/model/object_hooks.h, where the model metadata finds them too.
template <typename T>
concept HasBeforeBulkUpdate = requires(const Query<T>& q, Payload& p) {
  { T::BeforeBulkUpdate(q, p) } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasAfterBulkUpdate = requires(const Query<T>& q, const Payload& p, int64_t n) {
  { T::AfterBulkUpdate(q, p, n) } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasBeforeBulkDelete = requires(const Query<T>& q) {
  { T::BeforeBulkDelete(q) } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasAfterBulkDelete = requires(const Query<T>& q, int64_t n) {
  { T::AfterBulkDelete(q, n) } -> std::convertible_to<absl::Status>;
};

// Whether an operation on T needs a transaction of its own for its hooks.
template <typename T>
constexpr bool kHasAfterHooks = HasAfterCreate<T> || HasAfterUpdate<T> || HasAfterDelete<T> ||
                                HasAfterBulkUpdate<T> || HasAfterBulkDelete<T>;

// Each runs the hook if T declares it, else succeeds.
template <typename T>
absl::Status Validate(const T& object) {
  if constexpr (HasValidate<T>) return object.Validate();
  return absl::OkStatus();
}
template <typename T>
absl::Status BeforeCreate(T& object) {
  if constexpr (HasBeforeCreate<T>) return object.BeforeCreate();
  return absl::OkStatus();
}
template <typename T>
absl::Status AfterCreate(T& object) {
  if constexpr (HasAfterCreate<T>) return object.AfterCreate();
  return absl::OkStatus();
}
template <typename T>
absl::Status BeforeUpdate(T& object) {
  if constexpr (HasBeforeUpdate<T>) return object.BeforeUpdate();
  return absl::OkStatus();
}
template <typename T>
absl::Status AfterUpdate(T& object) {
  if constexpr (HasAfterUpdate<T>) return object.AfterUpdate();
  return absl::OkStatus();
}
template <typename T>
absl::Status BeforeDelete(T& object) {
  if constexpr (HasBeforeDelete<T>) return object.BeforeDelete();
  return absl::OkStatus();
}
template <typename T>
absl::Status AfterDelete(T& object) {
  if constexpr (HasAfterDelete<T>) return object.AfterDelete();
  return absl::OkStatus();
}

}  // namespace hooks
}  // namespace duo

#endif  // DUO_QUERY_HOOKS_H_
