#include "duo/async/task.h"

#include <exception>
#include <stdexcept>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace duo::async_internal {

absl::Status StatusFromException(std::exception_ptr exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("an exception escaped a task: ", e.what()));
  } catch (...) {
    return absl::InternalError("an exception of an unknown type escaped a task");
  }
}

}  // namespace duo::async_internal
