#include "tools/cli/input_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class InputFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "newsearch_cli_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Creates a file (and its parent directories) under root_.
  std::string Write(const std::string& relative, const std::string& content = "x") {
    const fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::vector<std::string> Relatives(const std::vector<InputFile>& files) {
    std::vector<std::string> out;
    for (const InputFile& f : files) out.push_back(f.relative);
    return out;
  }

  fs::path root_;
};

TEST_F(InputFilesTest, WalksDirectoriesRecursivelyInSortedOrder) {
  Write("d/b.txt");
  Write("d/a/2.txt");
  Write("d/a/10.txt");
  Write("d/c.html");
  absl::StatusOr<std::vector<InputFile>> files = CollectInputFiles({(root_ / "d").string()});
  ASSERT_TRUE(files.ok()) << files.status();
  // Byte order, not natural order: "10" < "2".
  EXPECT_THAT(Relatives(*files), ElementsAre("a/10.txt", "a/2.txt", "b.txt", "c.html"));
  EXPECT_EQ((*files)[0].path, (root_ / "d" / "a" / "10.txt").string());
}

TEST_F(InputFilesTest, KeepsArgumentOrderAndUsesFileNameForFileArguments) {
  Write("d/z.txt");
  const std::string single = Write("other/seed 001.txt");
  absl::StatusOr<std::vector<InputFile>> files =
      CollectInputFiles({single, (root_ / "d").string()});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, single);
  EXPECT_EQ((*files)[0].relative, "seed 001.txt");
  EXPECT_EQ((*files)[1].relative, "z.txt");
}

TEST_F(InputFilesTest, SkipsHiddenEntriesButNotNamedHiddenFiles) {
  Write("d/.DS_Store");
  Write("d/.git/objects/x");
  Write("d/page.txt");
  const std::string hidden = Write(".named");
  absl::StatusOr<std::vector<InputFile>> files =
      CollectInputFiles({(root_ / "d").string(), hidden});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(Relatives(*files), ElementsAre("page.txt", ".named"));
}

TEST_F(InputFilesTest, KeepsOnlyRegularFilesAndSymlinksToThem) {
  Write("d/real.txt");
  fs::create_symlink(root_ / "d" / "real.txt", root_ / "d" / "link.txt");
  fs::create_symlink(root_ / "d" / "missing", root_ / "d" / "dangling");
  ASSERT_EQ(mkfifo((root_ / "d" / "fifo").c_str(), 0600), 0);
  fs::create_directories(root_ / "d" / "empty");
  absl::StatusOr<std::vector<InputFile>> files = CollectInputFiles({(root_ / "d").string()});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(Relatives(*files), ElementsAre("link.txt", "real.txt"));
}

TEST_F(InputFilesTest, EmptyDirectoryGivesNoFiles) {
  fs::create_directories(root_ / "empty");
  absl::StatusOr<std::vector<InputFile>> files = CollectInputFiles({(root_ / "empty").string()});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST_F(InputFilesTest, MissingPathIsNotFound) {
  absl::StatusOr<std::vector<InputFile>> files =
      CollectInputFiles({(root_ / "nope").string()});
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("nope"));
}

TEST_F(InputFilesTest, FifoArgumentIsRejected) {
  ASSERT_EQ(mkfifo((root_ / "fifo").c_str(), 0600), 0);
  absl::StatusOr<std::vector<InputFile>> files = CollectInputFiles({(root_ / "fifo").string()});
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(InputFilesTest, ReadFileBytesKeepsBinaryContent) {
  const std::string content("\xb1\xbe\xb1\xa8\0\r\n", 7);  // GBK bytes, a NUL, CRLF.
  const std::string path = Write("gbk.txt", content);
  absl::StatusOr<std::string> bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, content);
  EXPECT_EQ(ReadFileBytes((root_ / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace newsearch::cli
