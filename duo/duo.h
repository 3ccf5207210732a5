// DuoORM in one include, for programs that would rather not pick headers.
//
// Which header declares what (each can be included on its own, with the
// Bazel target in brackets):
//
//   duo/query/query.h       duo::Model<T>, duo::Query<T>, Filter, TableOf,
//                           ResultAs; with it the model declaration
//                           (duo/model/schema.h: duo::Schema, Column
//                           options, relationships) and duo::Database
//                           [//duo/query; it links no driver]
//   duo/query/options.h     RelatedOptions, BulkOptions, CreateBulkOptions,
//                           WriteOptions (related writes), Page<T>
//                           [//duo/query:options]
//   duo/query/hooks.h       the model hooks (Validate, Before*/After*)
//                           [//duo/query:hooks]
//   duo/query/validation.h  ValidationError, ValidationFields: Validate()
//                           vetoes that name their fields
//                           [//duo/query:validation]
//   duo/model/json.h        models to and from nlohmann::json [//duo/model]
//   duo/model/payload.h     duo::Payload, partial column -> value sets
//                           [//duo/model]
//   duo/session/database.h  duo::Database, duo::Session, transactions,
//                           Execute/Read, ScopedDeadline, pools, replicas
//                           [//duo/session:database, with every driver; or
//                           //duo/session:database_core with the drivers
//                           a program names: //duo/engine/sqlite:driver,
//                           //duo/engine/postgres:driver, see
//                           docs/databases.md]
//   duo/session/result.h    duo::Result, a statement's rows in memory
//                           [//duo/session:result]
//   duo/engine/error.h      ErrorKind, GetErrorKind: database errors a caller
//                           branches on (unique violation, deadlock, ...),
//                           IsStale (optimistic locking) [//duo/engine:error]
//   duo/engine/url.h        database URLs [//duo/engine:url]
//   duo/sql/*.h             the statement IR every query can eject to:
//                           expr.h (col, expressions), select.h, dml.h
//                           (Insert/Update/Delete, upserts), functions.h,
//                           text.h (raw SQL with bound parameters),
//                           types.h, value.h [//duo/sql]
//   duo/async/async.h       duo::Task, SyncWait, WhenAll(Settled), the event loop
//                           [//duo/async]
//   duo/base/status_macros.h  DUO_RETURN_IF_ERROR, DUO_ASSIGN_OR_RETURN
//                           and their coroutine forms [//duo/base:status_macros]
//
// Everything under an internal/ directory, and the targets not listed here,
// are the library's own and may change without notice.

#ifndef DUO_DUO_H_
#define DUO_DUO_H_

#include "duo/async/async.h"         // IWYU pragma: export
#include "duo/base/status_macros.h"  // IWYU pragma: export
#include "duo/engine/error.h"        // IWYU pragma: export
#include "duo/engine/url.h"          // IWYU pragma: export
#include "duo/model/json.h"          // IWYU pragma: export
#include "duo/model/payload.h"       // IWYU pragma: export
#include "duo/model/schema.h"        // IWYU pragma: export
#include "duo/query/hooks.h"         // IWYU pragma: export
#include "duo/query/options.h"       // IWYU pragma: export
#include "duo/query/query.h"         // IWYU pragma: export
#include "duo/query/validation.h"    // IWYU pragma: export
#include "duo/session/database.h"    // IWYU pragma: export
#include "duo/session/result.h"      // IWYU pragma: export
#include "duo/sql/dml.h"             // IWYU pragma: export
#include "duo/sql/expr.h"            // IWYU pragma: export
#include "duo/sql/functions.h"       // IWYU pragma: export
#include "duo/sql/json.h"            // IWYU pragma: export
#include "duo/sql/select.h"          // IWYU pragma: export
#include "duo/sql/text.h"            // IWYU pragma: export
#include "duo/sql/types.h"           // IWYU pragma: export
#include "duo/sql/value.h"           // IWYU pragma: export

#endif  // DUO_DUO_H_
