// Durable-file helpers shared by the index writer and the snapshot code.
#ifndef NEWSEARCH_COMMON_BASE_FILE_SYNC_H_
#define NEWSEARCH_COMMON_BASE_FILE_SYNC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace newsearch {

// INTERNAL "<what> <path>: <strerror(errno)>", for a failed system call.
absl::Status ErrnoError(absl::string_view what, const std::string& path);

// Opens `path` with `flags` (O_RDONLY for a file, O_RDONLY | O_DIRECTORY for
// a directory) and fsyncs it; INTERNAL naming the path on failure.
absl::Status FsyncPath(const std::string& path, int flags);

}  // namespace newsearch

#endif  // NEWSEARCH_COMMON_BASE_FILE_SYNC_H_
