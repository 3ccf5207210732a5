// What a docs page's declarations may use without including anything: the
// public headers of DuoORM. Included by the sources docs/tools/extract_samples.sh
// generates from the pages, so that a sample shows only its own code.

#ifndef DOCS_DOC_MODELS_H_
#define DOCS_DOC_MODELS_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "duo/async/async.h"
#include "duo/base/status_macros.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/engine/error.h"
#include "duo/model/json.h"
#include "duo/model/models.h"
#include "duo/model/one.h"
#include "duo/model/schema.h"
#include "duo/query/query.h"
#include "duo/session/database.h"
#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/json.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"
#include "nlohmann/json.hpp"

#endif  // DOCS_DOC_MODELS_H_
