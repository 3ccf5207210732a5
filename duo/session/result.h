// A statement's result, read into memory.

#ifndef DUO_SESSION_RESULT_H_
#define DUO_SESSION_RESULT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/engine/connection.h"
#include "duo/engine/read.h"
#include "duo/sql/value.h"

namespace duo {

// Rows with their column names. Copyable (rows are shared), cheap to move.
// Typed getters convert as engine::FromValue does: range-checked, NULL only
// into std::optional, errors naming the column.
class Result {
 public:
  Result() = default;

  // Reads every remaining row of `cursor`.
  static absl::StatusOr<Result> FromCursor(engine::Cursor& cursor);

  const std::vector<std::string>& columns() const { return *columns_; }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const std::vector<sql::Value>& row(size_t index) const { return rows_[index]; }
  // Rows inserted, updated or deleted.
  int64_t rows_affected() const { return rows_affected_; }

  // The index of `column`, or NotFound naming it.
  absl::StatusOr<int> ColumnIndex(absl::string_view column) const;

  // The value at (`row`, `column`) as T; OutOfRange for a row or column
  // the result does not have.
  template <typename T>
  absl::StatusOr<T> Get(size_t row, int column) const {
    if (row >= rows_.size() || column < 0 || static_cast<size_t>(column) >= columns_->size()) {
      return absl::OutOfRangeError(absl::StrCat("no cell (", row, ", ", column, ") in a result of ",
                                                rows_.size(), " rows and ", columns_->size(),
                                                " columns"));
    }
    return engine::FromValue<T>(rows_[row][column], (*columns_)[column]);
  }
  template <typename T>
  absl::StatusOr<T> Get(size_t row, absl::string_view column) const {
    absl::StatusOr<int> index = ColumnIndex(column);
    if (!index.ok()) return index.status();
    return Get<T>(row, *index);
  }
  // The single value of a one-row, one-column result (count(*), ...).
  template <typename T>
  absl::StatusOr<T> Scalar() const {
    if (rows_.size() != 1 || columns_->size() != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("a scalar needs one row and one column; the result has ", rows_.size(),
                       " rows and ", columns_->size(), " columns"));
    }
    return Get<T>(0, 0);
  }
  // The first column of every row, in order (SQLAlchemy's
  // result.scalars().all()): the ids of a SELECT id ..., say. The error of
  // the first row that does not convert, naming its row.
  template <typename T>
  absl::StatusOr<std::vector<T>> Scalars() const {
    if (columns_->empty()) {
      return absl::FailedPreconditionError("scalars need a column; the result has none");
    }
    std::vector<T> values;
    values.reserve(rows_.size());
    for (size_t row = 0; row < rows_.size(); ++row) {
      absl::StatusOr<T> value = engine::FromValue<T>(rows_[row][0], (*columns_)[0]);
      if (!value.ok()) {
        return absl::Status(value.status().code(),
                            absl::StrCat("row ", row, ": ", value.status().message()));
      }
      values.push_back(*std::move(value));
    }
    return values;
  }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_ =
      std::make_shared<const std::vector<std::string>>();
  std::vector<std::vector<sql::Value>> rows_;
  int64_t rows_affected_ = 0;
};

}  // namespace duo

#endif  // DUO_SESSION_RESULT_H_
