// Fuzzes models from JSON (duo/model/json.h), the path a request body takes
// into a model: FromJson and PayloadFromJson on the shop's Everything model
// (every member type) and on Order. The input is JSON text; what does not
// parse as JSON is skipped, since parsing is nlohmann's.
//
// Properties:
//   * FromJson and PayloadFromJson succeed or return InvalidArgument, and
//     never throw (nlohmann's accessors would, on a type mismatch);
//   * they agree: a JSON object whose fields are all columns converts either
//     way or neither way;
//   * a model read from JSON writes back (ToJson) to JSON that reads to an
//     equal model, and whose text dumps without error.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/model/json.h"
#include "duo/model/meta.h"
#include "duo/query/testdata/shop.h"
#include "nlohmann/json.hpp"
#include "testing/fuzz/fuzz.h"

namespace {

template <typename T>
void Fuzz(const nlohmann::json& json, absl::string_view input) {
  absl::StatusOr<T> object;
  absl::StatusOr<duo::Payload> payload;
  try {
    object = duo::FromJson<T>(json);
    payload = duo::PayloadFromJson<T>(json);
  } catch (const std::exception& e) {
    DUO_FUZZ_CHECK(false, input, absl::StrCat("exception: ", e.what()));
  }
  DUO_FUZZ_CHECK(object.ok() || absl::IsInvalidArgument(object.status()), input,
                 object.status().ToString());
  DUO_FUZZ_CHECK(payload.ok() || absl::IsInvalidArgument(payload.status()), input,
                 payload.status().ToString());
  bool only_columns = json.is_object();
  if (only_columns) {
    for (const auto& item : json.items()) {
      if (duo::MetaOf<T>().FindColumn(item.key()) == nullptr) only_columns = false;
    }
  }
  if (only_columns) {
    DUO_FUZZ_CHECK(object.ok() == payload.ok(), input,
                   absl::StrCat(object.status().ToString(), " vs ", payload.status().ToString()));
  }
  if (!object.ok()) return;
  nlohmann::json written;
  std::string text;
  absl::StatusOr<T> again;
  try {
    written = duo::ToJson(*object);
    text = written.dump();
    again = duo::FromJson<T>(written);
  } catch (const std::exception& e) {
    DUO_FUZZ_CHECK(false, input, absl::StrCat("exception writing back: ", e.what()));
  }
  DUO_FUZZ_CHECK(again.ok(), input, absl::StrCat(text, " -> ", again.status().ToString()));
  if constexpr (std::equality_comparable<T>) {
    DUO_FUZZ_CHECK(*again == *object, input, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  const nlohmann::json json =
      nlohmann::json::parse(input.begin(), input.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  Fuzz<shop::Everything>(json, input);
  Fuzz<shop::Order>(json, input);
  return 0;
}
