#include "duo/query/query.h"

namespace duo {

bool IsObjectNotFound(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound &&
         status.GetPayload("duo.ObjectNotFound").has_value();
}

bool IsMultipleObjectsFound(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         status.GetPayload("duo.MultipleObjectsFound").has_value();
}

}  // namespace duo
