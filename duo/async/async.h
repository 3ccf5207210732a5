// DuoORM's async runtime in one include: duo::Task, duo::SyncWait,
// duo::WhenAll, the event loop and worker threads.

#ifndef DUO_ASYNC_ASYNC_H_
#define DUO_ASYNC_ASYNC_H_

#include "duo/async/event_loop.h"  // IWYU pragma: export
#include "duo/async/sync_wait.h"   // IWYU pragma: export
#include "duo/async/task.h"        // IWYU pragma: export
#include "duo/async/worker.h"      // IWYU pragma: export

#endif  // DUO_ASYNC_ASYNC_H_
