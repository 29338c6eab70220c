// Tests the editor lines of ingest-service/parser/metadata.h in all the
// forms pages print them (#13): role labels, colons of both widths, `丨`,
// `|`, `/` or a space instead of a colon, brackets, several on one line,
// and authors that must stay authors.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest-service/parser/metadata.h"

namespace newsearch::ingest {
namespace {

using ::testing::ElementsAreArray;

TEST(ParseMetadataLineTest, ReadsEditorsOfEveryForm) {
  const struct {
    const char* line;
    bool is_metadata;
    std::vector<std::string> authors;
    std::vector<std::string> editors;
    const char* reason;
  } cases[] = {
      {"责任编辑：丁楚兰", true, {}, {"丁楚兰"}, "full-width colon"},
      {"責任編輯:林佩君", true, {}, {"林佩君"}, "traditional, narrow colon"},
      {"責任編輯／林佩君", true, {}, {"林佩君"}, "full-width slash instead of a colon"},
      {"编辑丨刘思琪", true, {}, {"刘思琪"}, "WeChat `丨` separator"},
      {"编辑 | 刘思琪", true, {}, {"刘思琪"}, "bar separator with spaces"},
      {"编辑 李卓然", true, {}, {"李卓然"}, "a space instead of a colon"},
      {"（編輯 陳冠宇）", true, {}, {"陳冠宇"}, "in brackets without a colon"},
      {"本版编辑：任佳琪　　美编：谢雨桐", true, {}, {"任佳琪", "谢雨桐"},
       "page editor and art editor on one line"},
      {"[责任编辑:周敏 实习编辑:韩露]", true, {}, {"周敏", "韩露"},
       "two roles in one bracket"},
      {"编辑丨刘思琪　责编丨钱晓峰", true, {}, {"刘思琪", "钱晓峰"}, "two `丨` labels"},
      {"美術編輯：張雅婷", true, {}, {"張雅婷"}, "traditional art editor"},
      {"本版编辑：任佳琪 校对：孙磊 审核：王强", true, {}, {"任佳琪"},
       "proofreader and reviewer end the editor's value and are not editors"},
      {"文丨王嘉禾", true, {"王嘉禾"}, {}, "a WeChat byline is an author, not an editor"},
      {"作者：朱立群 编辑：周敏", true, {"朱立群"}, {"周敏"}, "author and editor apart"},
      {"编辑部门今天发布了新的规定。", false, {}, {}, "a sentence about an editorial office"},
      {"编辑 出版工作会议于昨日召开，来自各地的代表参加。", false, {}, {},
       "a sentence after a label-like word is body text"},
      {"他告诉编辑：稿子明天交。", false, {}, {}, "speech to an editor is body text"},
  };
  for (const auto& c : cases) {
    std::optional<LineMetadata> meta = ParseMetadataLine(c.line);
    ASSERT_EQ(meta.has_value(), c.is_metadata) << c.reason;
    if (!meta) continue;
    EXPECT_THAT(meta->authors, ElementsAreArray(c.authors)) << c.reason;
    EXPECT_THAT(meta->editors, ElementsAreArray(c.editors)) << c.reason;
  }
}

}  // namespace
}  // namespace newsearch::ingest
