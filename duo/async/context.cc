#include "duo/async/context.h"

#include <memory>

namespace duo::async {

std::shared_ptr<const void>& CurrentContext() {
  thread_local std::shared_ptr<const void> context;
  return context;
}

}  // namespace duo::async
