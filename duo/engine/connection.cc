#include "duo/engine/connection.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "duo/engine/status_text.h"

namespace duo::engine {

absl::StatusOr<int> Cursor::ColumnIndex(absl::string_view name) const {
  for (int i = 0; i < column_count(); ++i) {
    if (column_name(i) == name) return i;
  }
  return absl::NotFoundError(absl::StrCat("the result has no column \"", name, "\""));
}

absl::Status Cursor::ReadRow(std::span<const RowSlot> slots, int first, void* object) const {
  return ReadSlots(slots, first, object, [](RowSlot::Member, int, void*) { return false; });
}

absl::Status WithRow(int64_t row, const absl::Status& status) {
  return WithMessage(status, absl::StrCat("row ", row, ": ", status.message()));
}

absl::StatusOr<int64_t> Connection::RunMany(const dialect::CompiledStatement& statement,
                                            int64_t rows, FillParams fill) {
  dialect::CompiledStatement each = statement;
  int64_t affected = 0;
  for (int64_t row = 0; row < rows; ++row) {
    absl::Status status = fill(row, each.params);
    absl::StatusOr<std::unique_ptr<Cursor>> cursor =
        status.ok() ? Run(each) : absl::StatusOr<std::unique_ptr<Cursor>>(status);
    if (!cursor.ok()) return WithRow(row, cursor.status());
    while (true) {
      absl::StatusOr<bool> more = (*cursor)->Next();
      if (!more.ok()) return WithRow(row, more.status());
      if (!*more) break;
    }
    affected += (*cursor)->rows_affected();
  }
  return affected;
}

async::Worker& Connection::worker() {
  if (worker_ == nullptr) worker_ = std::make_unique<async::Worker>(event_loop());
  return *worker_;
}

}  // namespace duo::engine
