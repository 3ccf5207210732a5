// Errors that name the fields at fault, for a model's Validate() (DuoORM's
// ValidationError(field=...)):
//
//   absl::Status Order::Validate() const {
//     if (total_amount < 0) return duo::ValidationError("total_amount", "must not be negative");
//     if (ships_on < ordered_on) {
//       return duo::ValidationError({"ships_on", "ordered_on"}, "ships before it is ordered");
//     }
//     return absl::OkStatus();
//   }
//
// and for callers, who read the fields back instead of parsing messages:
//
//   if (duo::IsValidationError(status)) respond_422(duo::ValidationFields(status));
//
// The status is InvalidArgument with the message "<fields>: <message>". A
// write whose Validate() names a field the model does not have fails with
// Internal naming it: a typo there would otherwise point callers at nothing.

#ifndef DUO_QUERY_VALIDATION_H_
#define DUO_QUERY_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace duo {

absl::Status ValidationError(absl::string_view field, absl::string_view message);
absl::Status ValidationError(const std::vector<std::string>& fields, absl::string_view message);

// Whether `status` came from ValidationError (and was not rewritten since).
bool IsValidationError(const absl::Status& status);

// The fields a ValidationError names, in the order given; empty for any
// other status.
std::vector<std::string> ValidationFields(const absl::Status& status);

}  // namespace duo

#endif  // DUO_QUERY_VALIDATION_H_
