#include "duo/query/validation.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace duo {
namespace {

constexpr char kPayloadUrl[] = "type.duo.dev/duo.ValidationError";

}  // namespace

absl::Status ValidationError(absl::string_view field, absl::string_view message) {
  return ValidationError(std::vector<std::string>{std::string(field)}, message);
}

absl::Status ValidationError(const std::vector<std::string>& fields, absl::string_view message) {
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(absl::StrJoin(fields, ", "), ": ", message));
  // One field per line: field names hold no line breaks.
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrJoin(fields, "\n")));
  return status;
}

bool IsValidationError(const absl::Status& status) {
  return status.GetPayload(kPayloadUrl).has_value();
}

std::vector<std::string> ValidationFields(const absl::Status& status) {
  const auto payload = status.GetPayload(kPayloadUrl);  // absl::optional in Debian's abseil
  if (!payload.has_value() || payload->empty()) return {};
  return absl::StrSplit(std::string(*payload), '\n');
}

}  // namespace duo
