#include "duo/async/task.h"

#include <cstddef>
#include <exception>
#include <new>
#include <stdexcept>
#include <utility>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace duo::async_internal {
namespace {

// abseil's macros, not GCC's __SANITIZE_*: clang (the fuzz build) defines
// only __has_feature, and ASan must see every lifetime there too.
// DUO_SANITIZE_ADDRESS: the ASan pass of tools/test.sh (see .bazelrc).
#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER) || \
    defined(DUO_SANITIZE_ADDRESS)
constexpr bool kCacheFrames = false;
#else
constexpr bool kCacheFrames = true;
#endif

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are cached
constexpr int kKeptPerClass = 16;

// Freed frames of each size class, linked through their first bytes.
class FrameCache {
 public:
  FrameCache() = default;
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;
  ~FrameCache() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (heads_[c] != nullptr) ::operator delete(std::exchange(heads_[c], heads_[c]->next));
    }
  }

  void* Take(std::size_t size_class) {
    Free* const frame = heads_[size_class];
    if (frame == nullptr) return nullptr;
    heads_[size_class] = frame->next;
    --counts_[size_class];
    return frame;
  }
  bool Keep(void* memory, std::size_t size_class) {
    if (counts_[size_class] == kKeptPerClass) return false;
    heads_[size_class] = new (memory) Free{heads_[size_class]};
    ++counts_[size_class];
    return true;
  }

 private:
  struct Free {
    Free* next;
  };
  Free* heads_[kClasses] = {};
  int counts_[kClasses] = {};
};

thread_local FrameCache frame_cache;

// Sizes round up to whole granules, so that a class's frames are
// interchangeable.
std::size_t SizeClass(std::size_t size) { return (size + kGranule - 1) / kGranule - 1; }

}  // namespace

void* AllocateFrame(std::size_t size) {
  const std::size_t size_class = SizeClass(size);
  if (!kCacheFrames || size_class >= kClasses) return ::operator new(size);
  if (void* frame = frame_cache.Take(size_class)) return frame;
  return ::operator new((size_class + 1) * kGranule);
}

void FreeFrame(void* frame, std::size_t size) noexcept {
  const std::size_t size_class = SizeClass(size);
  if (!kCacheFrames || size_class >= kClasses) {
    ::operator delete(frame);
    return;
  }
  if (!frame_cache.Keep(frame, size_class)) ::operator delete(frame);
}

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
