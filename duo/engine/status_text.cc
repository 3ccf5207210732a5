#include "duo/engine/status_text.h"

#include "absl/strings/cord.h"

namespace duo::engine {

absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  absl::Status reworded(status.code(), message);
  status.ForEachPayload([&reworded](absl::string_view type_url, const absl::Cord& payload) {
    reworded.SetPayload(type_url, payload);
  });
  return reworded;
}

}  // namespace duo::engine
