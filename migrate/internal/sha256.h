// SHA-256 (FIPS 180-4), for the checksums duo-migrate records of revision
// files. A checksum detects a revision edited after it was applied; it is
// not used for anything secret, so there is no constant-time requirement.
// Written here because Debian's abseil has no hash of this kind and linking
// a crypto library for one digest is not worth the dependency.

#ifndef DUO_MIGRATE_INTERNAL_SHA256_H_
#define DUO_MIGRATE_INTERNAL_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace duo::migrate_internal {

// Returns the SHA-256 digest of `data` as 64 lowercase hex characters.
std::string Sha256Hex(absl::string_view data);

}  // namespace duo::migrate_internal

#endif  // DUO_MIGRATE_INTERNAL_SHA256_H_
