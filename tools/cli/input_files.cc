#include "tools/cli/input_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace newsearch::cli {
namespace {

namespace fs = std::filesystem;

absl::Status FromErrorCode(const std::error_code& ec, absl::string_view what,
                           const fs::path& path) {
  return absl::Status(absl::ErrnoToStatusCode(ec.value()),
                      absl::StrCat(what, " ", path.string(), ": ", ec.message()));
}

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

absl::Status WalkDirectory(const fs::path& root, std::vector<InputFile>* out) {
  std::vector<InputFile> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return FromErrorCode(ec, "cannot read directory", root);
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return FromErrorCode(ec, "cannot read directory", root);
    const fs::path& p = it->path();
    if (IsHidden(p)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    // is_regular_file follows symlinks; a dangling one reports false.
    if (!it->is_regular_file(ec)) continue;
    found.push_back({p.string(), p.lexically_relative(root).generic_string()});
  }
  if (ec) return FromErrorCode(ec, "cannot read directory", root);
  std::sort(found.begin(), found.end(), [](const InputFile& a, const InputFile& b) {
    return a.relative < b.relative;
  });
  out->insert(out->end(), std::make_move_iterator(found.begin()),
              std::make_move_iterator(found.end()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<InputFile>> CollectInputFiles(const std::vector<std::string>& paths) {
  std::vector<InputFile> files;
  for (const std::string& arg : paths) {
    const fs::path path(arg);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) {
      return absl::NotFoundError(absl::StrCat("no such file or directory: ", arg));
    }
    if (ec) return FromErrorCode(ec, "cannot stat", path);
    if (fs::is_directory(status)) {
      absl::Status walked = WalkDirectory(path, &files);
      if (!walked.ok()) return walked;
    } else if (fs::is_regular_file(status)) {
      files.push_back({arg, path.filename().string()});
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("not a regular file or directory: ", arg));
    }
  }
  return files;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return absl::Status(absl::ErrnoToStatusCode(err),
                        absl::StrCat("cannot open ", path, ": ", std::strerror(err)));
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", path));
  return bytes;
}

}  // namespace newsearch::cli
