// Expands the PATH arguments of `newsearch ingest` into the list of page
// files to send, in a stable order, with the relative names used as their
// external_id (unless `--no_external_id_from_path`).
#ifndef NEWSEARCH_TOOLS_CLI_INPUT_FILES_H_
#define NEWSEARCH_TOOLS_CLI_INPUT_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace newsearch::cli {

struct InputFile {
  // Path to open (the argument joined with the entry's relative path).
  std::string path;
  // Path relative to the directory argument (`2018/04/a.txt`, always with
  // '/' separators); for a file argument, its file name.
  std::string relative;
};

// Returns the files named by `paths`, in argument order. A directory is
// walked recursively and its files come sorted by relative path (byte
// order); only regular files (or symlinks to them) are kept, and entries
// whose name starts with '.' (`.git`, `.DS_Store`) are skipped with their
// contents. A file named directly is kept even if hidden.
// NOT_FOUND for a path that does not exist; INVALID_ARGUMENT for a path
// that is neither a regular file nor a directory; the error of the file
// system (PERMISSION_DENIED, ...) when a directory cannot be read.
absl::StatusOr<std::vector<InputFile>> CollectInputFiles(const std::vector<std::string>& paths);

// Reads a whole file. NOT_FOUND / PERMISSION_DENIED / INTERNAL with the path
// and the system's message.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace newsearch::cli

#endif  // NEWSEARCH_TOOLS_CLI_INPUT_FILES_H_
