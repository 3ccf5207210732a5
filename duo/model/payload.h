// Payloads: a partial set of column → value (or expression) pairs, checked
// against a model. What Create, obj.Update and UpdateBulk accept besides a
// whole model value:
//
//   Order::Create({{"customer_id", 7}, {"status", "pending"}});
//   orders.UpdateBulk({{"status", "shipped"},
//                      {"attempts", duo::col(&Order::attempts) + 1}});

#ifndef DUO_MODEL_PAYLOAD_H_
#define DUO_MODEL_PAYLOAD_H_

#include <vector>

#include "absl/status/status.h"
#include "duo/model/meta.h"
#include "duo/sql/dml.h"

namespace duo {

using Payload = std::vector<sql::Assignment>;

// Checks that every column in `payload` exists (InvalidArgument naming the
// model and its columns otherwise), appears once, and that plain values
// suit the column's type.
absl::Status CheckPayload(const ModelMeta& meta, const Payload& payload);

// Sets the payload's values on `object` (of `meta`'s model). Expressions
// (age + 1) cannot be applied in memory: they are InvalidArgument, for
// UpdateBulk to run in the database.
absl::Status ApplyPayload(const ModelMeta& meta, void* object, const Payload& payload);

// Like ApplyPayload, but leaves the columns given expressions alone: what a
// row looks like to its hooks before the database evaluates them.
absl::Status ApplyPayloadValues(const ModelMeta& meta, void* object, const Payload& payload);

// Whether a value of `kind` may be stored in a column of `category`
// (NULL fits any; the column's nullability is the database's to check).
bool ValueFitsColumn(const sql::Value& value, const ColumnMeta& column);

}  // namespace duo

#endif  // DUO_MODEL_PAYLOAD_H_
