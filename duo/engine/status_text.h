// Rewording an error without losing what it carries.

#ifndef DUO_ENGINE_STATUS_TEXT_H_
#define DUO_ENGINE_STATUS_TEXT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace duo::engine {

// `status` with `message` in place of its own: same code, same payloads.
// The error kind and its details (duo/engine/error.h) travel as payloads,
// so a driver that adds context to a message must copy them over.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

}  // namespace duo::engine

#endif  // DUO_ENGINE_STATUS_TEXT_H_
