#include "duo/session/result.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace duo {

absl::StatusOr<Result> Result::FromCursor(engine::Cursor& cursor) {
  Result result;
  auto columns = std::make_shared<std::vector<std::string>>();
  while (true) {
    absl::StatusOr<bool> has_row = cursor.Next();
    if (!has_row.ok()) return has_row.status();
    if (columns->empty()) {
      // Column names are known once the statement ran.
      for (int i = 0; i < cursor.column_count(); ++i) {
        columns->emplace_back(cursor.column_name(i));
      }
    }
    if (!*has_row) break;
    std::vector<sql::Value>& row = result.rows_.emplace_back();
    row.reserve(cursor.column_count());
    for (int i = 0; i < cursor.column_count(); ++i) {
      absl::StatusOr<sql::Value> value = cursor.GetValue(i);
      if (!value.ok()) return value.status();
      row.push_back(*std::move(value));
    }
  }
  result.columns_ = std::move(columns);
  result.rows_affected_ = cursor.rows_affected();
  return result;
}

absl::StatusOr<int> Result::ColumnIndex(absl::string_view column) const {
  for (size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == column) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("the result has no column \"", column, "\""));
}

}  // namespace duo
