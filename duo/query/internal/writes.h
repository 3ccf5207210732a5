// The writes of Create, Save and Delete: single rows (with their hooks,
// timestamps and optimistic-locking version) and, built on them, object
// graphs: a row with the related objects its members hold (related writes)
// and the declared cascades of a delete.
//
// Each function runs its statements in the caller's transaction when
// there is one. The graph functions expect one (their callers open it), so
// that a failure anywhere undoes the whole graph.

#ifndef DUO_QUERY_INTERNAL_WRITES_H_
#define DUO_QUERY_INTERNAL_WRITES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "duo/async/task.h"
#include "duo/model/meta.h"
#include "duo/query/internal/core.h"
#include "duo/query/internal/operations.h"
#include "duo/session/database.h"

namespace duo::query_internal {

// The per-object hooks of `meta` (no bulk hooks): the hooks of rows that a
// write reaches through relationships.
ModelHooks HooksOf(const ModelMeta& meta);

// Whether `object` is new by its own columns: a generated key still zero,
// or a Version() column still 0. (An object with a key of its own may be
// new too; only the database can tell.)
bool IsNewObject(const ModelMeta& meta, const void* object);

// Inserts `object` and reads its row back into it: version 1, timestamps,
// Validate, BeforeCreate, INSERT ... RETURNING, AfterCreate.
Task<absl::Status> InsertRow(Exec exec, const Database& database, const ModelMeta& meta,
                             const ModelHooks& hooks, void* object);
// Updates `object`'s row: the columns that differ from `loaded` (every
// column when nullptr), after timestamps, Validate and BeforeUpdate; then
// AfterUpdate. A versioned row is updated only while it holds `object`'s
// version, which is bumped (kStaleObject otherwise); ObjectNotFound when
// an unversioned row is gone.
Task<absl::Status> UpdateRow(Exec exec, const Database& database, const ModelMeta& meta,
                             const ModelHooks& hooks, void* object, const void* loaded);
// Save's row: InsertRow when `object` is new, else UpdateRow (against the
// identity map's state inside a managed transaction). Sets `*inserted`.
Task<absl::Status> SaveRow(Exec exec, const Database& database, const ModelMeta& meta,
                           const ModelHooks& hooks, void* object, bool* inserted);
// DELETE of `object`'s row (checking its version), then AfterDelete. The
// caller has run BeforeDelete.
Task<absl::Status> DeleteStatement(Exec exec, const Database& database, const ModelMeta& meta,
                                   const ModelHooks& hooks, void* object);

// Whether Create or Save of `object` has related work: a related object
// held, or a loaded member whose removed objects must be handled.
bool HasRelatedWrites(const ModelMeta& meta, const void* object);
// Whether Delete of a row of `meta` has declared cascades to apply.
bool HasDeleteCascades(const ModelMeta& meta);
// Records the has-one, has-many and many-to-many members of `object` as
// holding no rows (ModelMeta::loaded_keys): true of a row just inserted
// with empty members.
void MarkCollectionsLoaded(const ModelMeta& meta, void* object);

// Create (`create`) or Save of `object` with its object graph: belongs-to
// objects first (written if new, their key copied into the foreign key),
// the row, has-one and has-many objects with their foreign key set (and
// the orphans of loaded members handled), then many-to-many objects and
// their association rows. Every row runs its own hooks.
Task<absl::Status> WriteGraph(Exec exec, const Database& database, const ModelMeta& meta,
                              const ModelHooks& hooks, void* object, bool create);
// Delete of `object` after its relationships' declared on_delete.
Task<absl::Status> DeleteGraph(Exec exec, const Database& database, const ModelMeta& meta,
                               const ModelHooks& hooks, void* object);

// The status for a lost update on a versioned row (ErrorKind::kStaleObject),
// naming the model, table, key and version column.
absl::Status StaleObject(const ModelMeta& meta, const void* object, absl::string_view operation);

}  // namespace duo::query_internal

#endif  // DUO_QUERY_INTERNAL_WRITES_H_
