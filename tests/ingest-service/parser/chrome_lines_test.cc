// Tests footer, frame and headline-list recognition
// (ingest-service/parser/chrome_lines.h).
#include "ingest-service/parser/chrome_lines.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

TEST(IsFooterChromeLineTest, ClassifiesLines) {
  const struct {
    const char* line;
    bool chrome;
    const char* reason;
  } cases[] = {
      {"版权所有 © 2023 南岭日报社 未经授权禁止转载", true, "copyright"},
      {"Copyright (C) 2022 東岸時報 版權所有，未經授權不得轉載。", true, "traditional copyright"},
      {"粤ICP备09012345号-2　粤公网安备 44010602000001号", true, "ICP licence"},
      {"免责声明：本网转载的文章仅代表作者个人观点，与本网无关。如有侵权，请联系删除。", true,
       "disclaimer that ends like a sentence"},
      {"本网站所刊载信息，不代表本站观点。转载请注明出处，如有侵权请联系删除。", true,
       "unlabelled disclaimer"},
      {"上一篇：南岭市公交新开三条夜班线路", true, "previous-article link"},
      {"下一則：池上稻穗藝術節下月登場", true, "traditional next-article link"},
      {"网友评论（共3条）", true, "comment counter"},
      {"已有12人参与　查看全部评论", true, "comment participation"},
      {"欢迎加入南岭日报读者QQ群：283746519，爆料请添加微信 nanlingbaoliao", true,
       "QQ group and WeChat invitation"},
      {"违法和不良信息举报电话：0816-1234567", true, "reporting hotline"},
      {"手机看新闻　打开APP", true, "app banner"},
      {"—END—", true, "end mark"},
      {"←", false, "an arrow alone (found by the fuzzer)"},
      {"【上一篇】南岭市公交新开三条夜班线路", true, "bracketed previous-article link"},
      {"下载南岭新闻客户端，看更多本地新闻", true, "app download prompt"},
      {"凡注明“来源：南岭日报”的作品，版权均属南岭日报社。", true, "copyright notice variant"},
      {"共有12条跟帖", true, "follow-up counter"},
      {"村民可以拨打举报电话，也可以到村委会反映情况，工作人员会在三个工作日内答复。", false,
       "body text about a hotline"},
      {"村干部在微信群里发布通知，提醒村民注意防汛。", false,
       "body text that mentions a WeChat group"},
      {"活动共有300多人参与，现场气氛热烈。", false, "body text with 人参与"},
      {"上一篇文章发表后，很多读者来信询问后续进展，我们为此专门回访了当事人和有关部门。", false,
       "a long sentence that starts like a link"},
      {"开发区未经授权擅自使用他人商标的案件今年下降了三成。", false, "body text about licences"},
  };
  for (const auto& c : cases) EXPECT_EQ(IsFooterChromeLine(c.line), c.chrome) << c.reason;
}

TEST(StripChromeBracketsTest, KeepsWhatIsNotChrome) {
  EXPECT_EQ(StripChromeBrackets("【纠错】 [责任编辑:周敏 实习编辑:韩露]"), "[责任编辑:周敏 实习编辑:韩露]")
      << "Xinhua-style editor line behind the error tag";
  EXPECT_EQ(StripChromeBrackets("编辑：王芳【打印】【关闭】"), "编辑：王芳") << "buttons at the end";
  EXPECT_EQ(StripChromeBrackets("【纠错】"), "【纠错】") << "nothing else left: the line is chrome";
  EXPECT_EQ(StripChromeBrackets("【环球时报】记者在现场看到"), "【环球时报】记者在现场看到")
      << "a bracketed outlet is not chrome";
}

TEST(TrailerHeadingKindTest, ClassifiesHeadings) {
  EXPECT_EQ(TrailerHeadingKind("相关阅读："), TrailerKind::kReadingList);
  EXPECT_EQ(TrailerHeadingKind("熱門排行"), TrailerKind::kReadingList);
  EXPECT_EQ(TrailerHeadingKind("大家都在看"), TrailerKind::kReadingList);
  EXPECT_EQ(TrailerHeadingKind("【延伸阅读】"), TrailerKind::kReadingList);
  EXPECT_EQ(TrailerHeadingKind("网友评论（共3条）"), TrailerKind::kFinal);
  EXPECT_EQ(TrailerHeadingKind("友情链接"), TrailerKind::kFinal);
  EXPECT_EQ(TrailerHeadingKind("相关部门表示将加快推进"), TrailerKind::kNone)
      << "相关部门 is not 相关阅读";
}

TEST(FindTrailerTest, SkipsReadingListsInsideTheStory) {
  const std::vector<std::string> texts = {
      "标题在这里",
      "",
      "第一段正文，讲述了事情的起因和经过，内容相当充实，足够构成一个段落。",
      "相关阅读：",
      "· 另一篇报道的标题",
      "· 第三篇报道的标题",
      "",
      "第二段正文继续讲述事情的发展，有关部门已经介入调查，结果将向社会公布。",
      "第三段正文介绍了下一步的安排，预计工程将在年底之前全部完成并投入使用。",
      "网友评论",
      "网友：很好。",
  };
  std::vector<bool> in_list;
  EXPECT_EQ(FindTrailer(texts, &in_list), 9u) << "the comments are the trailer";
  EXPECT_THAT(in_list, ::testing::ElementsAre(false, false, false, true, true, true, true, false,
                                              false, false, false));
}

TEST(FindTrailerTest, CutsAListThatEndsTheStory) {
  // Seed 001: a related list, a promo summary in a bullet, link directories.
  const std::vector<std::string> texts = {
      "标题在这里",
      "正文第一段，内容相当充实，足够构成一个段落，讲述了事情的起因和经过。",
      "正文第二段。",
      "相关稿件",
      "2015年杂志征订",
      "• 以深度新闻、高端观点和个性化服务，为非公领域党建和基层党务工作者服务，被誉为第一刊。",
      "友情链接",
      "人民网 新华网 光明网 央视网",
  };
  std::vector<bool> in_list;
  EXPECT_EQ(FindTrailer(texts, &in_list), 3u);
}

TEST(MarkHeadlessListsTest, MarksBulletedOrDatedRunsOfThree) {
  const std::vector<std::string> texts = {
      "第一段正文，讲述了事情的起因和经过。",
      "· 青石镇入选省级历史文化名镇",
      "· 南岭市启动老旧街区微改造计划",
      "· 骑楼里的老手艺",
      "",
      "县城夜市复苏 摊主月入过万 2023-05-06",
      "东江高铁站年内开工（05-06）",
      "",
      "一、加强组织领导",
      "二、压实工作责任",
      "三、强化督促检查",
  };
  std::vector<bool> in_list;
  MarkHeadlessLists(texts, &in_list);
  EXPECT_THAT(in_list, ::testing::ElementsAre(false, true, true, true, false, false, false, false,
                                              false, false, false))
      << "two dated lines are too few; numbered subheads of a story are not bulleted";
}

TEST(IsHeadlineListItemTest, ClassifiesLines) {
  EXPECT_TRUE(IsHeadlineListItem("· 青石镇入选省级历史文化名镇"));
  EXPECT_TRUE(IsHeadlineListItem("1 颱風外圍環流影響 東部山區慎防豪雨"));
  EXPECT_TRUE(IsHeadlineListItem("县城夜市复苏 摊主月入过万"));
  EXPECT_FALSE(IsHeadlineListItem("创新涌动的路桥，互联网企业发展势头良好。"));
  EXPECT_FALSE(IsHeadlineListItem("“我們一起努力，打造清朗網絡空間”")) << "a quoted subhead";
}

}  // namespace
}  // namespace newsearch::ingest
