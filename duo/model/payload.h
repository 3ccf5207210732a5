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
#include "duo/dialect/compiler.h"
#include "duo/model/meta.h"
#include "duo/sql/dml.h"

namespace duo {

using Payload = std::vector<sql::Assignment>;

// Checks that every column in `payload` exists (InvalidArgument naming the
// model and its columns otherwise), appears once, and that plain values
// suit the column's type and are storable (CheckStorable, without a
// dialect).
absl::Status CheckPayload(const ModelMeta& meta, const Payload& payload);

// Sets the payload's values on `object` (of `meta`'s model). Expressions
// (age + 1) cannot be applied in memory: they are InvalidArgument, for
// UpdateBulk to run in the database.
absl::Status ApplyPayload(const ModelMeta& meta, void* object, const Payload& payload);

// Like ApplyPayload, but leaves the columns given expressions alone: what a
// row looks like to its hooks before the database evaluates them.
absl::Status ApplyPayloadValues(const ModelMeta& meta, void* object, const Payload& payload);

// Whether `column` (declared with SqlType `column.type`) holds `value`
// exactly as given; never a wrapped or rounded number:
//   * integers and decimals in an integer column fit its range (smallint,
//     integer, bigint), and decimals and doubles there are whole numbers;
//   * in a numeric(p, s) column, a number has at most s significant
//     fractional digits and p - s integer digits (the database would round
//     the one and refuse the other);
//   * a double in a real (float) column neither overflows to infinity nor
//     underflows from nonzero to zero; precision may round as floats do;
//   * with `dialect`, a NaN or infinity the database would not store as
//     itself (Dialect::StoresDouble), or any in a numeric column, is
//     InvalidArgument.
// Out of range is OutOfRange; errors name the model, table and column.
absl::Status CheckStorable(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value,
                           const dialect::Dialect* dialect = nullptr);

// CheckStorable for the members of `object` that a write would send (all
// columns, or the indexes into meta.columns() in `columns`), after each
// member's own check (ColumnAccessor::CheckMember: a JSON document's depth,
// numbers and UTF-8). What Create, Save and CreateBulk run before writing.
absl::Status CheckWritable(const ModelMeta& meta, const void* object,
                           const std::vector<int>* columns, const dialect::Dialect& dialect);

// Whether a value of `kind` may be stored in a column of `category`
// (NULL fits any; the column's nullability is the database's to check).
bool ValueFitsColumn(const sql::Value& value, const ColumnMeta& column);

}  // namespace duo

#endif  // DUO_MODEL_PAYLOAD_H_
