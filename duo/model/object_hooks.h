// The per-object hooks a model may declare (Validate, Before/After
// Create/Update/Delete; see duo/query/hooks.h, which documents them), found
// at compile time and kept in the model's metadata as plain functions, so
// that code which knows a model only by its ModelMeta (the related writes
// of Create and Save, cascading deletes) runs the hooks of every row it
// writes.

#ifndef DUO_MODEL_OBJECT_HOOKS_H_
#define DUO_MODEL_OBJECT_HOOKS_H_

#include <concepts>

#include "absl/status/status.h"

namespace duo {
namespace hooks {

template <typename T>
concept HasValidate = requires(const T& t) {
  { t.Validate() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasBeforeCreate = requires(T& t) {
  { t.BeforeCreate() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasAfterCreate = requires(T& t) {
  { t.AfterCreate() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasBeforeUpdate = requires(T& t) {
  { t.BeforeUpdate() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasAfterUpdate = requires(T& t) {
  { t.AfterUpdate() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasBeforeDelete = requires(T& t) {
  { t.BeforeDelete() } -> std::convertible_to<absl::Status>;
};
template <typename T>
concept HasAfterDelete = requires(T& t) {
  { t.AfterDelete() } -> std::convertible_to<absl::Status>;
};

}  // namespace hooks

// A model's per-object hooks on type-erased objects; nullptr where the
// model declares none.
struct ObjectHooks {
  absl::Status (*validate)(const void* object) = nullptr;
  absl::Status (*before_create)(void* object) = nullptr;
  absl::Status (*after_create)(void* object) = nullptr;
  absl::Status (*before_update)(void* object) = nullptr;
  absl::Status (*after_update)(void* object) = nullptr;
  absl::Status (*before_delete)(void* object) = nullptr;
  absl::Status (*after_delete)(void* object) = nullptr;
};

namespace model_internal {

template <typename T>
constexpr ObjectHooks MakeObjectHooks() {
  ObjectHooks made;
  if constexpr (hooks::HasValidate<T>) {
    made.validate = [](const void* o) -> absl::Status {
      return static_cast<const T*>(o)->Validate();
    };
  }
  if constexpr (hooks::HasBeforeCreate<T>) {
    made.before_create = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeCreate(); };
  }
  if constexpr (hooks::HasAfterCreate<T>) {
    made.after_create = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterCreate(); };
  }
  if constexpr (hooks::HasBeforeUpdate<T>) {
    made.before_update = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeUpdate(); };
  }
  if constexpr (hooks::HasAfterUpdate<T>) {
    made.after_update = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterUpdate(); };
  }
  if constexpr (hooks::HasBeforeDelete<T>) {
    made.before_delete = [](void* o) -> absl::Status { return static_cast<T*>(o)->BeforeDelete(); };
  }
  if constexpr (hooks::HasAfterDelete<T>) {
    made.after_delete = [](void* o) -> absl::Status { return static_cast<T*>(o)->AfterDelete(); };
  }
  return made;
}

}  // namespace model_internal
}  // namespace duo

#endif  // DUO_MODEL_OBJECT_HOOKS_H_
