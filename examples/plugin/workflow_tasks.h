#pragma once
// The example plugin's workflow tasks (examples/workflows/README.md): steps
// that read their parents' results from the payload's "inputs" (an object
// keyed by parent name, docs/protocol.md "Workflows").
//
//   checksum  (io)  {"text"?: "..."} -> {"crc32": "8 hex digits", "bytes": N, "of": [names]}
//                   CRC-32 (as zlib's crc32 and `cksum -a crc32b` compute it) of
//                   "text", or else of each input in turn: a string as it is, an
//                   object's "stdout" (exec's output, a fetched page) as it is,
//                   anything else as its JSON text
//   store     (io)  {"name": "file-name"} -> {"path": "...", "bytes": N}
//                   writes its inputs as JSON to $JOBQ_EXAMPLE_STORE_DIR (default
//                   /tmp/jobq-example-store)/NAME.json, atomically (write, then
//                   rename); NAME is 1 to 100 letters, digits, '.', '_', '-'
//   sum_parts (io)  {} -> {"parts": K, "sum": "S"}
//                   adds the "sum" of every input exactly, as decimal integers of
//                   any size (sum_squares's are strings past 2^53)
//
// Stateless, so thread-safe (store's files are the caller's to keep apart).

#include <string>

#include "worker/tasks/plugin_api.h"

namespace jobq_example {

std::string ChecksumTask(jobq::worker::TaskContext& context);
std::string StoreTask(jobq::worker::TaskContext& context);
std::string SumPartsTask(jobq::worker::TaskContext& context);

// a + b for decimal digit strings without sign or leading zeros (or "0").
std::string AddDecimal(const std::string& a, const std::string& b);

}  // namespace jobq_example
