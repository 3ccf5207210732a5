#include "duo/model/payload.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/base/status_macros.h"

namespace duo {

bool ValueFitsColumn(const sql::Value& value, const ColumnMeta& column) {
  using Kind = sql::Value::Kind;
  using Category = sql::TypeCategory;
  switch (value.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return column.category == Category::kBool;
    case Kind::kInt:
      // Integer-stored enums and booleans written as 0/1 are numbers too.
      return column.category == Category::kNumeric || column.category == Category::kBool;
    case Kind::kDouble:
    case Kind::kDecimal:
      return column.category == Category::kNumeric;
    case Kind::kText:
      return column.category == Category::kText;
    case Kind::kBlob:
      return column.category == Category::kBytes;
    case Kind::kTimestamp:
      return column.category == Category::kTime;
    case Kind::kDate:
      return column.category == Category::kDate;
    case Kind::kJson:
      return column.category == Category::kJson;
    case Kind::kArray:
      return column.category == Category::kArray;
    case Kind::kUuid:
      return column.category == Category::kUuid;
    case Kind::kTimeOfDay:
      return column.category == Category::kTimeOfDay;
    case Kind::kInterval:
      return column.category == Category::kInterval;
  }
  return false;
}

namespace {

absl::Status WrongType(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value) {
  return absl::InvalidArgumentError(
      absl::StrCat("value ", value.DebugString(), " does not suit column ", meta.model_name(), ".",
                   column.name, " (", meta.table().name(), ".", column.name, ")"));
}

using Kind = sql::SqlType::Kind;

std::string ColumnName(const ModelMeta& meta, const ColumnMeta& column) {
  return absl::StrCat(meta.model_name(), ".", column.name, " (table \"", meta.table().name(),
                      "\")");
}

absl::Status OutOfRange(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value,
                        absl::string_view why) {
  std::string shown = value.DebugString();
  if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
  return absl::OutOfRangeError(absl::StrCat("value ", shown, " cannot be stored in column ",
                                            ColumnName(meta, column), ": ", why));
}

// The range of an integer column, or nullopt for other kinds.
std::optional<std::pair<int64_t, int64_t>> IntegerRange(Kind kind) {
  switch (kind) {
    case Kind::kSmallInt:
      return std::make_pair<int64_t, int64_t>(INT16_MIN, INT16_MAX);
    case Kind::kInteger:
      return std::make_pair<int64_t, int64_t>(INT32_MIN, INT32_MAX);
    case Kind::kBigInt:
      return std::make_pair<int64_t, int64_t>(INT64_MIN, INT64_MAX);
    default:
      return std::nullopt;
  }
}

absl::string_view IntegerTypeName(Kind kind) {
  return kind == Kind::kSmallInt ? "smallint" : kind == Kind::kInteger ? "integer" : "bigint";
}

// "a smallint", "an integer", "a bigint": for messages.
std::string IntegerTypeWithArticle(Kind kind) {
  return absl::StrCat(kind == Kind::kInteger ? "an " : "a ", IntegerTypeName(kind));
}

// The significant digits of a decimal number's text ([-]digits[.digits],
// or a double's fixed form): leading zeros of the integer part and
// trailing zeros of the fraction hold nothing.
struct Digits {
  size_t integer = 0;
  size_t fraction = 0;
};
Digits CountDigits(absl::string_view text) {
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  const size_t point = text.find('.');
  absl::string_view integer = text.substr(0, point);
  absl::string_view fraction =
      point == absl::string_view::npos ? absl::string_view() : text.substr(point + 1);
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  return {integer.size(), fraction.size()};
}

// The shortest fixed-point text that reads back as `value` (finite).
std::string ShortestFixed(double value) {
  // A double's shortest fixed form is at most ~330 characters (5e-324).
  char buffer[400];
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

absl::Status CheckDigits(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value,
                         absl::string_view text, const sql::SqlType& type) {
  const Digits digits = CountDigits(text);
  if (type.kind == Kind::kNumeric && type.precision > 0) {
    if (digits.fraction > static_cast<size_t>(type.scale)) {
      return OutOfRange(
          meta, column, value,
          absl::StrCat("it has ", digits.fraction, " fractional digits and the column is numeric(",
                       type.precision, ", ", type.scale, "), which keeps ", type.scale,
                       " (the database would round it)"));
    }
    if (digits.integer > static_cast<size_t>(type.precision - type.scale)) {
      return OutOfRange(
          meta, column, value,
          absl::StrCat("it has ", digits.integer, " integer digits and the column is numeric(",
                       type.precision, ", ", type.scale, "), which keeps ",
                       type.precision - type.scale));
    }
  }
  if (IntegerRange(type.kind) && digits.fraction > 0) {
    return OutOfRange(
        meta, column, value,
        absl::StrCat(IntegerTypeWithArticle(type.kind), " column holds whole numbers only"));
  }
  return absl::OkStatus();
}

absl::Status CheckScalar(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value,
                         const sql::SqlType& type, const sql::SqlType& column_type,
                         const dialect::Dialect* dialect) {
  const auto range = IntegerRange(type.kind);
  switch (value.kind()) {
    case sql::Value::Kind::kInt: {
      const int64_t number = value.as_int();
      if (range && (number < range->first || number > range->second)) {
        return OutOfRange(meta, column, value,
                          absl::StrCat("beyond the range of ", IntegerTypeName(type.kind)));
      }
      if (type.kind != Kind::kNumeric) return absl::OkStatus();
      return CheckDigits(meta, column, value, absl::StrCat(number), type);
    }
    case sql::Value::Kind::kDecimal: {
      const std::string& text = value.as_decimal().digits();
      DUO_RETURN_IF_ERROR(CheckDigits(meta, column, value, text, type));
      if (range) {
        // Whole (checked above): compare the integer part's digits exactly.
        absl::string_view whole = absl::string_view(text).substr(0, text.find('.'));
        int64_t number = 0;
        if (!absl::SimpleAtoi(whole, &number) || number < range->first || number > range->second) {
          return OutOfRange(meta, column, value,
                            absl::StrCat("beyond the range of ", IntegerTypeName(type.kind)));
        }
      }
      return absl::OkStatus();
    }
    case sql::Value::Kind::kDouble: {
      const double number = value.as_double();
      if (dialect != nullptr && !dialect->StoresDouble(number, column_type)) {
        return absl::InvalidArgumentError(absl::StrCat("column ", ColumnName(meta, column), ": ",
                                                       dialect->name(), " cannot store ",
                                                       value.DebugString(), " as it is"));
      }
      if (!std::isfinite(number)) {
        if (range) {
          return OutOfRange(meta, column, value,
                            absl::StrCat("beyond the range of ", IntegerTypeName(type.kind)));
        }
        if (type.kind == Kind::kNumeric) {
          return absl::InvalidArgumentError(absl::StrCat("column ", ColumnName(meta, column),
                                                         " holds decimal digits, not ",
                                                         value.DebugString()));
        }
        return absl::OkStatus();
      }
      if (type.kind == Kind::kReal) {
        const float narrowed = static_cast<float>(number);
        if (std::isinf(narrowed) || (narrowed == 0 && number != 0)) {
          return OutOfRange(meta, column, value,
                            "a real (float) column would hold it as infinity or 0");
        }
        return absl::OkStatus();
      }
      if (range) {
        if (number != std::trunc(number)) {
          return OutOfRange(
              meta, column, value,
              absl::StrCat(IntegerTypeWithArticle(type.kind), " column holds whole numbers only"));
        }
        // Beyond ±2^63 no double converts to int64_t (the cast is undefined).
        if (number < -0x1p63 || number >= 0x1p63 || static_cast<int64_t>(number) < range->first ||
            static_cast<int64_t>(number) > range->second) {
          return OutOfRange(meta, column, value,
                            absl::StrCat("beyond the range of ", IntegerTypeName(type.kind)));
        }
        return absl::OkStatus();
      }
      if (type.kind == Kind::kNumeric) {
        return CheckDigits(meta, column, value, ShortestFixed(number), type);
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::Status CheckStorable(const ModelMeta& meta, const ColumnMeta& column, const sql::Value& value,
                           const dialect::Dialect* dialect) {
  if (value.kind() == sql::Value::Kind::kArray) {
    const sql::SqlType element{.kind = column.type.element};
    for (const sql::Value& item : value.as_array().elements) {
      DUO_RETURN_IF_ERROR(CheckScalar(meta, column, item, element, column.type, dialect));
    }
    return absl::OkStatus();
  }
  return CheckScalar(meta, column, value, column.type, column.type, dialect);
}

absl::Status CheckWritable(const ModelMeta& meta, const void* object,
                           const std::vector<int>* columns, const dialect::Dialect& dialect) {
  auto check = [&](const ColumnMeta& column) -> absl::Status {
    DUO_RETURN_IF_ERROR(column.accessor->CheckMember(object, column.name));
    if (!column.accessor->value_checked()) return absl::OkStatus();
    return CheckStorable(meta, column, column.accessor->Get(object), &dialect);
  };
  if (columns != nullptr) {
    for (int index : *columns) DUO_RETURN_IF_ERROR(check(meta.columns()[index]));
  } else {
    for (const ColumnMeta& column : meta.columns()) DUO_RETURN_IF_ERROR(check(column));
  }
  return absl::OkStatus();
}

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
    if (node.kind == sql::ExprKind::kParam) {
      if (!ValueFitsColumn(node.value, *column)) return WrongType(meta, *column, node.value);
      DUO_RETURN_IF_ERROR(CheckStorable(meta, *column, node.value));
    }
    if ((node.kind == sql::ExprKind::kNull ||
         (node.kind == sql::ExprKind::kParam && node.value.is_null())) &&
        !column->nullable) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", meta.model_name(), ".", column->name, " may not be NULL"));
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
