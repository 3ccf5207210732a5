// A model of the consumer's own, declared against duo from http_archive.

#ifndef CONSUMER_NOTES_H_
#define CONSUMER_NOTES_H_

#include <cstdint>
#include <string>

#include "duo/model/schema.h"
#include "duo/query/query.h"

namespace consumer {

struct Note : duo::Model<Note> {
  int64_t id = 0;
  std::string text;
  bool done = false;

  static duo::Schema<Note> Table();
};

}  // namespace consumer

#endif  // CONSUMER_NOTES_H_
