#include "duo/model/payload.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "duo/base/status_macros.h"

namespace duo {

bool ValueFitsColumn(const sql::Value& value, const ColumnMeta& column) {
  using Kind = sql::Value::Kind;
  using Category = sql::TypeCategory;
  switch (value.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return column.category == Category::kBool;
    case Kind::kInt:
      // Integer-stored enums and booleans written as 0/1 are numbers too.
      return column.category == Category::kNumeric || column.category == Category::kBool;
    case Kind::kDouble:
    case Kind::kDecimal: return column.category == Category::kNumeric;
    case Kind::kText: return column.category == Category::kText;
    case Kind::kBlob: return column.category == Category::kBytes;
    case Kind::kTimestamp: return column.category == Category::kTime;
    case Kind::kDate: return column.category == Category::kDate;
    case Kind::kJson: return column.category == Category::kJson;
    case Kind::kArray: return column.category == Category::kArray;
  }
  return false;
}

namespace {

absl::Status WrongType(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "value ", value.DebugString(), " does not suit column ", meta.model_name(), ".",
      column.name, " (", meta.table().name(), ".", column.name, ")"));
}

}  // namespace

absl::Status CheckPayload(const ModelMeta& meta, const Payload& payload) {
  absl::flat_hash_set<std::string> seen;
  for (const sql::Assignment& assignment : payload) {
    const ColumnMeta* column = meta.FindColumn(assignment.column);
    if (column == nullptr) return meta.UnknownColumn(assignment.column);
    if (!seen.insert(assignment.column).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("column \"", assignment.column, "\" appears twice in the payload"));
    }
    const sql::ExprNode& node = assignment.value.node();
    if (node.kind == sql::ExprKind::kParam && !ValueFitsColumn(node.value, *column)) {
      return WrongType(meta, *column, node.value);
    }
    if ((node.kind == sql::ExprKind::kNull ||
         (node.kind == sql::ExprKind::kParam && node.value.is_null())) &&
        !column->nullable) {
      return absl::InvalidArgumentError(absl::StrCat("column ", meta.model_name(), ".",
                                                     column->name, " may not be NULL"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyPayload(const ModelMeta& meta, void* object, const Payload& payload) {
  DUO_RETURN_IF_ERROR(CheckPayload(meta, payload));
  // Convert everything first, so that a failure leaves the object as it was.
  std::shared_ptr<void> copy = meta.NewObject();
  meta.CopyObject(copy.get(), object);
  for (const sql::Assignment& assignment : payload) {
    const ColumnMeta& column = *meta.FindColumn(assignment.column);
    const sql::ExprNode& node = assignment.value.node();
    if (node.kind == sql::ExprKind::kNull) {
      DUO_RETURN_IF_ERROR(column.accessor->Set(copy.get(), sql::Value(), column.name));
    } else if (node.kind == sql::ExprKind::kParam) {
      DUO_RETURN_IF_ERROR(column.accessor->Set(copy.get(), node.value, column.name));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", meta.model_name(), ".", column.name,
          " is given an expression, which only the database can evaluate: use UpdateBulk"));
    }
  }
  meta.CopyObject(object, copy.get());
  return absl::OkStatus();
}

absl::Status ApplyPayloadValues(const ModelMeta& meta, void* object, const Payload& payload) {
  Payload values;
  for (const sql::Assignment& assignment : payload) {
    const sql::ExprKind kind = assignment.value.node().kind;
    if (kind == sql::ExprKind::kParam || kind == sql::ExprKind::kNull) values.push_back(assignment);
  }
  return ApplyPayload(meta, object, values);
}

}  // namespace duo
