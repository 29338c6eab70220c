// Tests chrome, trailer and promo recognition (ingest-service/parser/boilerplate.h).
#include "ingest-service/parser/boilerplate.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

TEST(IsChromeLineTest, ClassifiesLines) {
  const struct {
    const char* line;
    bool chrome;
    const char* reason;
  } cases[] = {
      {"关闭", true, "seed 000 window button"},
      {"您当前的位置 : 您当前的位置 :非公企业党建 正文 >", true, "seed 001 breadcrumb"},
      {"【字体：大 中 小】", true, "font size switcher"},
      {"【打印】【关闭】", true, "bracketed buttons"},
      {"【我要纠错】 【打印】 【关闭窗口】", true, "spaced bracketed buttons"},
      {"分享到：", true, "share prompt"},
      {"首页 > 地方新闻 > 正文", true, "breadcrumb with arrows"},
      {"首页 | 新闻 | 财经 | 科技 | 港航 | 视频", true, "menu bar"},
      {"人民网 中国共产党新闻网 新华网 七一网 党建网", true, "seed 001 friend links"},
      {"视点", false, "section head is text"},
      {"支部强了 辣椒红了 日子火了", false, "seed 003 three-part headline"},
      {"创新涌动的路桥,互联网企业发展势头良好。", false, "body sentence"},
      {"大", true, "lone font-size token"},
  };
  for (const auto& c : cases) EXPECT_EQ(IsChromeLine(c.line), c.chrome) << c.reason;
}

TEST(IsTrailerStartTest, ClassifiesLines) {
  EXPECT_TRUE(IsTrailerStart("相关阅读")) << "seed 000";
  EXPECT_TRUE(IsTrailerStart("相关稿件")) << "seed 001";
  EXPECT_TRUE(IsTrailerStart("【相关阅读】")) << "bracketed";
  EXPECT_TRUE(IsTrailerStart("相關新聞")) << "traditional";
  EXPECT_FALSE(IsTrailerStart("相关阅读量在去年大幅增长，这说明读者对本地新闻的兴趣明显上升。"))
      << "a long sentence that merely starts with the words";
}

TEST(IsPromoLineTest, ClassifiesLines) {
  EXPECT_TRUE(IsPromoLine("微信号:DangJianFeiGQ"));
  EXPECT_TRUE(IsPromoLine("扫一扫,关注有惊喜!"));
  EXPECT_TRUE(IsPromoLine("关注微信公众号“皖南晚报”"));
  EXPECT_FALSE(IsPromoLine("这几天,鄂尔多斯市东胜区罕台镇一卡通清理工作正在进行,罕台镇纪委书记"
                           "李万毅不仅到各村社现场监督,还时刻关注微信公众号上的举报信息。"))
      << "seed 003: body text that mentions WeChat";
}

TEST(MarkPromoBlocksTest, MarksWholeBlockUpToBlankLines) {
  // Seed 001's promo block: the marker lines and the short lines around them.
  const std::vector<std::string> lines = {
      "“义乌用在网商中建立党组织,开展党建工作的方式来引导这种转型,至少是非常有意义的探索。”",
      "",
      "中国非公企业党建由《非公有制企业党建》杂志出品",
      "微信号:DangJianFeiGQ",
      "以深度新闻、高端观点和个性化服务,为非公领域党建",
      "扫一扫,关注有惊喜!",
      "小菲等你来报道!",
      "",
      "网商支部会定期组织网商党员们开展业务交流。"};
  EXPECT_THAT(MarkPromoBlocks(lines),
              ::testing::ElementsAre(false, false, true, true, true, true, true, false, false));
}

TEST(RemoveStrayTagsTest, RemovesParagraphTags) {
  EXPECT_EQ(RemoveStrayTags("一派丰收景象。</p>"), "一派丰收景象。");
  EXPECT_EQ(RemoveStrayTags("  <p>段落</p>  "), "段落");
  EXPECT_EQ(RemoveStrayTags("不断给自己充电?!?/p>"), "不断给自己充电?!?") << "seed 002";
  EXPECT_EQ(RemoveStrayTags("\u3000\u3000正文\u3000"), "正文") << "full-width spaces";
  EXPECT_EQ(RemoveStrayTags("<span style=\"color:red\">红色</span>字<br/>下一句"), "红色字 下一句");
  EXPECT_EQ(RemoveStrayTags("<img src=\"/a.jpg\" alt=\"图\">图片说明"), "图片说明");
  EXPECT_EQ(RemoveStrayTags("<<人民日报>> a<b 和 <未知标签>"), "<<人民日报>> a<b 和 <未知标签>")
      << "only known tag names go";
}

TEST(DecodeHtmlEntitiesTest, DecodesNamedAndNumericReferences) {
  EXPECT_EQ(DecodeHtmlEntities("&ldquo;你好&rdquo;&nbsp;A&amp;B"), "“你好”\u00a0A&B");
  EXPECT_EQ(DecodeHtmlEntities("&#20013;&#x6587;"), "中文");
  EXPECT_EQ(DecodeHtmlEntities("&bogus; &#xD800; &#99999999; &"), "&bogus; &#xD800; &#99999999; &")
      << "unknown, surrogate, too large and bare stay";
}

}  // namespace
}  // namespace newsearch::ingest
