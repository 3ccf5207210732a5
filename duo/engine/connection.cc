#include "duo/engine/connection.h"

#include <memory>

#include "absl/strings/str_cat.h"

namespace duo::engine {

absl::StatusOr<int> Cursor::ColumnIndex(absl::string_view name) const {
  for (int i = 0; i < column_count(); ++i) {
    if (column_name(i) == name) return i;
  }
  return absl::NotFoundError(absl::StrCat("the result has no column \"", name, "\""));
}

absl::Status Cursor::ReadRow(std::span<const RowSlot> slots, int first, void* object) const {
  for (const RowSlot& slot : slots) {
    absl::Status status = slot.reader->Read(object, *this, first++);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

async::Worker& Connection::worker() {
  if (worker_ == nullptr) worker_ = std::make_unique<async::Worker>();
  return *worker_;
}

}  // namespace duo::engine
