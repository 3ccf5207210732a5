// Models to and from JSON (nlohmann::json, the type JSON columns use): the
// C++ stand-in for DuoORM's to_schema / from_schema / apply_schema.
//
//   nlohmann::json body = duo::ToJson(order);            // columns + loaded relations
//   DUO_ASSIGN_OR_RETURN(Order order, duo::FromJson<Order>(request));
//   DUO_ASSIGN_OR_RETURN(duo::Payload changes, duo::PayloadFromJson<Order>(patch));
//   DUO_RETURN_IF_ERROR(duo::Model<Order>::Update(order, changes));  // set and saved
//
// Timestamps are RFC 3339 strings, dates "YYYY-MM-DD", bytes base64,
// decimals strings (exact), enums as they are stored: their declared names
// (EnumStorage::kText) or numbers (kInteger); reading accepts either. Errors
// name the field at fault and, for unknown fields, list the valid ones.

#ifndef DUO_MODEL_JSON_H_
#define DUO_MODEL_JSON_H_

#include <utility>

#include "absl/status/statusor.h"
#include "duo/model/payload.h"
#include "duo/model/schema.h"
#include "nlohmann/json.hpp"

namespace duo {

namespace model_internal {
absl::Status ObjectFromJson(const ModelMeta& meta, void* object, const nlohmann::json& json);
absl::StatusOr<Payload> PayloadFromJson(const ModelMeta& meta, const nlohmann::json& json);
}  // namespace model_internal

// Every column, and the relationships that hold loaded objects.
template <typename T>
nlohmann::json ToJson(const T& object) {
  return model_internal::ObjectToJson(MetaOf<T>(), &object);
}

// A model from a JSON object; absent fields keep their default values.
template <typename T>
absl::StatusOr<T> FromJson(const nlohmann::json& json) {
  T object{};
  absl::Status status = model_internal::ObjectFromJson(MetaOf<T>(), &object, json);
  if (!status.ok()) return status;
  return object;
}

// The fields of a JSON object as a payload for T (a partial update).
template <typename T>
absl::StatusOr<Payload> PayloadFromJson(const nlohmann::json& json) {
  return model_internal::PayloadFromJson(MetaOf<T>(), json);
}

}  // namespace duo

#endif  // DUO_MODEL_JSON_H_
