#include "ingest-service/parser/mojibake.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ingest-service/parser/charset.h"
#include "ingest-service/parser/text_util.h"

namespace newsearch::ingest {
namespace {

// Lines whose scored characters are less frequent than this are examined
// for whole-line mojibake.
constexpr double kSuspectShare = 0.6;
// A repair must reach this share and beat the original by kMinGain.
constexpr double kRepairedShare = 0.9;
constexpr double kMinGain = 0.25;
// Lines still below this share after repair are dropped as garbled.
constexpr double kGarbledShare = 0.4;
constexpr size_t kMinScored = 4;
// Spans after a `?` longer than this are not treated as one misaligned run.
constexpr size_t kMaxSpan = 80;
constexpr size_t kExampleCodePoints = 12;
// Misaligned spans tried per page; a page of thousands of `?` is not worth
// more (each try costs a few converter calls).
constexpr size_t kMaxAttempts = 1000;

// Characters frequent in news text, most frequent first (simplified, then
// the traditional forms of the commonest). A byte lost at the end of a
// misaligned span is guessed as the earliest of these that fits.
constexpr char kNewsFrequency[] =
    "的是在一国了年和中有人不为大会发展新业上工个这企部全党以地要作经员到时区市"
    "们来网对出行成建设主开动产生务于进提高家多日月生等与后公司服村民政重力"
    "的國會發業們個這來對時為動產務進設開經員區網電黨議關實現過還"
    "能那你南内男难年";

// More characters common in news text, ranked after kNewsFrequency. A pair
// of characters is restored across bytes the scraper dropped only when both
// are ranked here (see Realign).
constexpr char kCommonCharacters[] =
    "说他我也就要可以得着自之说而那过子么去把当没下还看天起都好家只如面"
    "现同从想实机样理心本前开但因其些情明性知使点正外将两高间由问很最重并"
    "物手应向头文体政美相见被利什等或新己制身果加西斯话合回特代内信表化老"
    "给世位次度门任常先海通教儿原东声提立及比解水名真论处走义各入几口认条"
    "平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必"
    "场件计管期直资命山金指克许统区保至队形社便空决治展马科司五基眼书非则"
    "听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张"
    "该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根"
    "干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎存未远叫"
    "台单影具罗字爱击流备兵连调深商算质团集百需价花华城石级整府离况亚请技"
    "际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功包片史委"
    "乎查轻易早曾除农找装广显阿李标谈吃图念六引历首医局突专费号尽另周较注"
    "语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划致陈律足"
    "态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄"
    "绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉"
    "止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般"
    "普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适"
    "波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树"
    "疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检"
    "差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读超免压银买皇养伊怀执副乱抗"
    "犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央"
    "户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽"
    "良序升监临亮露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困"
    "剑渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康虑幸"
    "均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额"
    "含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣择寻厂睡博勒烟授诺伦"
    "岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋宋避抓荣姑孙逃牙束跳顶玉镇雪午"
    "练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱"
    "蒙歌店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩"
    "析窗醒妻透购替塞努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲"
    "伟麻川申缓潜闪售灯针哲络抵朱埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振"
    "染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁伸摩盟末乃悲拍丁赵链储码丰富"
    "說個們這來對時為動產務進設開經員區網電黨議關實現過還從與當點還學頭讓"
    "問題應該長業種見間樣總發會國際聯繫確認顯著從業"
    "者一些及于此已又关点业两最物手应战向头文体相见被利什二等或己制身果加月话"
    "特代内信表化老给世位次度门任常先通教儿原声提立比员解水名真论处义入口认"
    "条系气题活更别打变四总何电数安少报才结反受目量再感建务做接必场件计管期"
    "市资命金指许统区保至队形社便决治展基书非则界达光放强即像难且权思象完设"
    "式记品住告类求据程边张该交规万取格望觉术领共确传观清切院让识候带导争运"
    "改收根干造联持组每济车极服快办议往元证近转令准布始存未远单具爱流备连调"
    "深商算质团集百需价华城级整府离况请技际约示复息究线似官断精满支视消越器"
    "容照须增研写称企功包片史委查轻易早除农找装广显旅游购物医疗居民街道镇乡"
    "者們個這來對時為動產務進設開經員區網電黨議關實現過還與當點學頭讓問題應"
    "該長業種見間樣總發會國際聯繫確認顯著從業說記願週書圖館鄉縣區場機構歲";

// Common two-character words of news text. Where a misaligned run lost a
// pair of bytes between two characters (the scraper dropped what it read as
// a user-defined character), the two are restored only as one of these
// words whose bytes fit around the gap (`公司` in seed 002).
constexpr char kCommonWords[] =
    "公司 经验 今年 工作 发展 经济 社会 国家 企业 市场 服务 管理 建设 政府 部门 "
    "记者 表示 介绍 负责 项目 计划 组织 活动 群众 居民 村民 农民 学生 老师 学校 "
    "医院 患者 医生 健康 安全 环境 生态 文化 旅游 交通 城市 农村 乡村 产业 技术 "
    "创新 科技 数据 网络 平台 系统 信息 资金 投资 增长 提高 提升 推进 推动 加强 "
    "实现 开展 举办 参加 参与 完成 开始 进行 目前 现在 已经 还是 可以 能够 需要 "
    "没有 时间 时候 去年 明年 今天 昨天 日前 近日 近年 以来 以后 之前 之后 期间 "
    "同时 其中 通过 根据 按照 由于 因为 所以 但是 不过 而且 如果 虽然 只有 一个 "
    "一些 这些 那些 我们 他们 大家 自己 人员 人才 青年 老人 孩子 家庭 生活 收入 "
    "消费 价格 产品 质量 标准 问题 情况 工程 设施 设备 能源 电力 车辆 道路 公路 "
    "铁路 航空 港口 物流 运输 冷链 仓储 进口 出口 贸易 合作 协议 会议 代表 领导 "
    "干部 党员 支部 委员 主任 书记 局长 县长 市长 省长 全国 全省 全市 全县 地区 "
    "区域 中心 基地 园区 小区 社区 街道 乡镇 镇里 村里 县城 省城 北京 上海 广州 "
    "深圳 中国 世界 国际 国内 海外 相关 有关 重要 主要 重点 基本 全面 积极 有效 "
    "成立 建立 设立 成为 作为 认为 希望 要求 提供 支持 帮助 保障 保护 改革 改造 "
    "改善 解决 处理 调查 研究 分析 发现 发布 公布 宣布 报道 新闻 媒体 网站 手机 "
    "电话 视频 图片 文章 内容 方面 方式 方法 措施 政策 制度 规定 法律 条例 规划 "
    "方案 目标 任务 责任 结果 效果 影响 作用 意义 价值 能力 水平 规模 数量 总数 "
    "比例 面积 人口 人数 万元 亿元 公里 小时 分钟 每天 每年 每月 周末 春节 节日 "
    "假期 天气 气温 降雨 台风 地震 灾害 救援 医疗 教育 培训 就业 创业 养老 住房 "
    "土地 农业 工业 商业 金融 银行 保险 股票 基金 公共 公开 公众 公园 公交 电商 "
    "网店 直播 销售 生产 制造 加工 种植 养殖 蔬菜 水果 粮食 茶叶 咖啡 食品 餐饮 "
    "酒店 民宿 游客 景区 景点 运动 比赛 体育 球队 冠军 音乐 电影 演出 艺术 历史 "
    "传统 文物 遗产 志愿 我們 他們 這些 國家 經濟 發展 會議 學生 學校 醫院 記者 "
    "負責 項目 計劃 組織 活動 群眾 農民 社區 時間 現在 已經 進行 開始 服務 建設 "
    "部門 問題 情況 設施 設備 環境 旅遊 產業 技術 創新 網絡 系統 資訊 資金 投資 "
    "增長 推動 加強 實現 開展 舉辦 參加 參與 經驗 協議 領導 黨員 委員 書記 縣長 "
    "市長 全國 全縣 地區 園區 小區 鄉鎮 縣城 國際 國內 相關 有關 重點 積極 成為 "
    "作為 認為 幫助 保護 解決 處理 調查 發現 發布 報導 新聞 媒體 網站 手機 電話 "
    "視頻 圖片 內容 規定 規劃 目標 任務 責任 結果 影響 意義 價值 規模 數量 面積 "
    "人數 萬元 億元 小時 分鐘 週末 春節 天氣 氣溫 颱風 災害 醫療 培訓 就業 創業 "
    "養老 農業 工業 商業 銀行 保險 公開 公眾 公園 公車 電商 網店 銷售 生產 製造 "
    "種植 養殖 糧食 茶葉 餐飲 遊客 景區 運動 比賽 體育 音樂 電影 藝術 歷史 傳統 "
    "志願";

class Converter {
 public:
  explicit Converter(const char* name) {
    UErrorCode status = U_ZERO_ERROR;
    conv_ = ucnv_open(name, &status);
    if (U_FAILURE(status)) conv_ = nullptr;
    if (conv_ == nullptr) return;
    status = U_ZERO_ERROR;
    ucnv_setFromUCallBack(conv_, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
    status = U_ZERO_ERROR;
    ucnv_setToUCallBack(conv_, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  }
  ~Converter() {
    if (conv_ != nullptr) ucnv_close(conv_);
  }
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;

  bool ok() const { return conv_ != nullptr; }

  // Bytes of `cps` in this charset; nullopt when one is unmappable.
  std::optional<std::string> Encode(const std::u32string& cps) {
    std::u16string units;
    for (char32_t cp : cps) {
      if (cp >= 0x10000) return std::nullopt;
      units.push_back(static_cast<char16_t>(cp));
    }
    ucnv_reset(conv_);
    std::string out(units.size() * 4 + 4, '\0');
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n = ucnv_fromUChars(conv_, out.data(), static_cast<int32_t>(out.size()),
                                      reinterpret_cast<const UChar*>(units.data()),
                                      static_cast<int32_t>(units.size()), &status);
    if (U_FAILURE(status)) return std::nullopt;
    out.resize(n);
    return out;
  }

  // Code points of `bytes`; nullopt when they do not decode cleanly.
  std::optional<std::u32string> Decode(absl::string_view bytes) {
    ucnv_reset(conv_);
    std::u16string units(bytes.size() * 2 + 2, u'\0');
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n = ucnv_toUChars(conv_, reinterpret_cast<UChar*>(units.data()),
                                    static_cast<int32_t>(units.size()), bytes.data(),
                                    static_cast<int32_t>(bytes.size()), &status);
    if (U_FAILURE(status)) return std::nullopt;
    std::u32string out;
    for (int32_t i = 0; i < n; ++i) {
      const char16_t u = units[i];
      if (u >= 0xD800 && u <= 0xDFFF) return std::nullopt;  // Only BMP is expected here.
      out.push_back(u);
    }
    return out;
  }

 private:
  UConverter* conv_ = nullptr;
};

bool IsPrivateUse(char32_t cp) { return cp >= 0xE000 && cp <= 0xF8FF; }

// Code points that tell plausible Chinese from mojibake: Han, kana, hangul,
// box drawing, Latin-1 letters and U+FFFD. Others (ASCII, emoji, symbols)
// are neutral.
// Latin-1 letters that pinyin uses (`zhèn`) are neutral too.
bool IsPinyinVowel(char32_t cp) {
  switch (cp) {
    case 0xE0:
    case 0xE1:
    case 0xE8:
    case 0xE9:
    case 0xEC:
    case 0xED:
    case 0xF2:
    case 0xF3:
    case 0xF9:
    case 0xFA:
    case 0xFC:
      return true;
    default:
      return false;
  }
}

// Code points that tell plausible Chinese from mojibake: Han, kana, hangul,
// box drawing, the Latin-1 and Windows-1252 letters and signs that UTF-8 read
// as Latin-1 produces, and U+FFFD. Others (ASCII, pinyin, emoji, symbols)
// are neutral.
bool IsScored(char32_t cp) {
  return text::IsHan(cp) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0x2500 && cp <= 0x257F) || (cp >= 0xA0 && cp <= 0xFF && !IsPinyinVowel(cp)) ||
         (cp >= 0x152 && cp <= 0x192) || cp == 0xFFFD || IsPrivateUse(cp);
}

bool IsSentencePunct(char32_t cp) {
  for (char32_t p : std::u32string(U"。，、“”！？：；")) {
    if (cp == p) return true;
  }
  return false;
}

bool IsGbkTrail(unsigned char b) { return b >= 0x40 && b <= 0xFE && b != 0x7F; }

std::string Example(const std::u32string& cps) {
  std::u32string head = cps.substr(0, kExampleCodePoints);
  std::string out = text::FromCodePoints(head);
  if (cps.size() > head.size()) out += "…";
  return out;
}

}  // namespace

MojibakeRepairer::MojibakeRepairer() : frequent_(0x10000, false) {}
MojibakeRepairer::~MojibakeRepairer() = default;

absl::StatusOr<std::unique_ptr<MojibakeRepairer>> MojibakeRepairer::Create() {
  std::unique_ptr<MojibakeRepairer> r(new MojibakeRepairer());
  Converter gb("GB18030"), big5("windows-950");
  if (!gb.ok() || !big5.ok()) {
    return absl::FailedPreconditionError("ICU has no GB18030 or windows-950 converter");
  }
  auto mark = [&r](Converter& conv, unsigned lead, unsigned trail) {
    const char bytes[2] = {static_cast<char>(lead), static_cast<char>(trail)};
    if (std::optional<std::u32string> cps = conv.Decode(absl::string_view(bytes, 2))) {
      if (cps->size() == 1 && (*cps)[0] < 0x10000 && !IsPrivateUse((*cps)[0])) {
        r->frequent_[(*cps)[0]] = true;
      }
    }
  };
  // GB2312 punctuation rows and the 3,755 level-1 hanzi.
  for (unsigned lead = 0xA1; lead <= 0xD7; ++lead) {
    if (lead > 0xA3 && lead < 0xB0) continue;
    for (unsigned trail = 0xA1; trail <= 0xFE; ++trail) mark(gb, lead, trail);
  }
  // Big5 punctuation and the 5,401 frequent hanzi.
  for (unsigned lead = 0xA1; lead <= 0xC6; ++lead) {
    for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
      if (trail > 0x7E && trail < 0xA1) continue;
      const unsigned code = lead << 8 | trail;
      if (code > 0xA3BF && code < 0xA440) continue;
      if (code > 0xC67E) continue;
      mark(big5, lead, trail);
    }
  }
  // Every GBK pair's character, read once, for Realign.
  r->gbk_pair_.assign(0x10000, 0);
  for (unsigned lead = 0x81; lead <= 0xFE; ++lead) {
    for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
      if (trail == 0x7F) continue;
      const char bytes[2] = {static_cast<char>(lead), static_cast<char>(trail)};
      std::optional<std::u32string> cps = gb.Decode(absl::string_view(bytes, 2));
      if (cps.has_value() && cps->size() == 1 && !IsPrivateUse((*cps)[0])) {
        r->gbk_pair_[lead << 8 | trail] = (*cps)[0];
      }
    }
  }
  // The common words that fit around a dropped user-defined pair: the
  // first's trail and the second's lead are such a pair (AAA1-AFFE,
  // F8A1-FEFE, A140-A7A0); indexed by the first's lead and the second's trail.
  r->gap_word_.assign(0x10000, 0);
  for (absl::string_view word : absl::StrSplit(kCommonWords, ' ', absl::SkipEmpty())) {
    const std::u32string cps = text::ToCodePoints(word);
    if (cps.size() != 2) continue;
    std::optional<std::string> a = gb.Encode(cps.substr(0, 1));
    std::optional<std::string> b = gb.Encode(cps.substr(1, 1));
    if (!a || !b || a->size() != 2 || b->size() != 2) continue;
    const unsigned x = static_cast<unsigned char>((*a)[1]);
    const unsigned y = static_cast<unsigned char>((*b)[0]);
    const bool user_defined = ((x >= 0xAA && x <= 0xAF) || x >= 0xF8) ? y >= 0xA1 && y <= 0xFE
                              : (x >= 0xA1 && x <= 0xA7)              ? y >= 0x40 && y <= 0xA0
                                                                      : false;
    const unsigned key = static_cast<unsigned char>((*a)[0]) << 8 |
                         static_cast<unsigned char>((*b)[1]);
    if (!user_defined || r->gap_word_[key] != 0) continue;
    r->words_.push_back(cps);
    r->gap_word_[key] = static_cast<uint32_t>(r->words_.size());
  }
  r->rank_.assign(0x10000, 0);
  uint16_t next_rank = 1;
  for (const char* list : {kNewsFrequency, kCommonCharacters}) {
    for (char32_t cp : text::ToCodePoints(list)) {
      if (cp < r->rank_.size() && r->rank_[cp] == 0) r->rank_[cp] = next_rank++;
    }
  }
  for (char32_t cp = 0x3000; cp <= 0x303F; ++cp) r->frequent_[cp] = true;
  for (char32_t cp = 0xFF01; cp <= 0xFF5E; ++cp) r->frequent_[cp] = true;
  for (char32_t cp = 0x2010; cp <= 0x2027; ++cp) r->frequent_[cp] = true;
  r->frequent_[0xB7] = true;
  // The likeliest character for each GBK lead byte whose trail byte was lost:
  // the earliest in kNewsFrequency that the lead byte can start.
  const std::u32string ranked = text::ToCodePoints(kNewsFrequency);
  r->tail_guess_.assign(0x100, 0);
  for (unsigned lead = 0x81; lead <= 0xFE; ++lead) {
    size_t best_rank = ranked.size();
    for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
      if (trail == 0x7F) continue;
      const char pair[2] = {static_cast<char>(lead), static_cast<char>(trail)};
      std::optional<std::u32string> cps = gb.Decode(absl::string_view(pair, 2));
      if (!cps.has_value() || cps->size() != 1) continue;
      const size_t rank = ranked.find((*cps)[0]);
      if (rank != std::u32string::npos && rank < best_rank) {
        best_rank = rank;
        r->tail_guess_[lead] = (*cps)[0];
      }
    }
  }
  // Box drawing sits in the Big5 punctuation rows but is never article text;
  // it is typical of misaligned GBK (`蓖┼l` for `”桐鄉`).
  for (char32_t cp = 0x2500; cp <= 0x259F; ++cp) r->frequent_[cp] = false;
  return r;
}

bool MojibakeRepairer::IsFrequent(char32_t cp) const {
  return cp < frequent_.size() && frequent_[cp];
}

namespace {

struct Share {
  size_t scored = 0;
  size_t frequent = 0;
  double value() const {
    return scored == 0 ? 1.0 : static_cast<double>(frequent) / static_cast<double>(scored);
  }
};

}  // namespace

double MojibakeRepairer::PlausibleShare(absl::string_view text) const {
  Share share;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = text::NextCodePoint(text, &pos);
    if (IsFrequent(cp)) {
      ++share.scored;
      ++share.frequent;
    } else if (IsScored(cp)) {
      ++share.scored;
    }
  }
  return share.value();
}

namespace {

Share ShareOf(const std::u32string& cps, const std::function<bool(char32_t)>& frequent) {
  Share share;
  for (char32_t cp : cps) {
    if (frequent(cp)) {
      ++share.scored;
      ++share.frequent;
    } else if (IsScored(cp)) {
      ++share.scored;
    }
  }
  return share;
}

constexpr char32_t kLostMark = 0xFFFD;

// What Realign recovered from one span.
struct Realigned {
  std::u32string text;
  std::vector<size_t> guessed_bytes;  // See MojibakeSpan.
  std::vector<size_t> unread_bytes;
};

// The repairer's read-only tables, for Realign.
struct RealignTables {
  const std::vector<char32_t>& tail_guess;  // By GBK lead byte.
  const std::vector<char32_t>& pair;        // By GBK lead << 8 | trail.
  const std::vector<uint16_t>& rank;        // By BMP code point.
  const std::vector<uint32_t>& gap_word;    // By GBK lead << 8 | trail.
  const std::vector<std::u32string>& words;
};

// Punctuation and Han: what a misaligned run of Chinese re-reads as.
bool IsHanOrPunct(char32_t cp) {
  return text::IsHan(cp) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0x2010 && cp <= 0x2027) ||
         (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || cp == 0xB7;
}

// Re-aligns `span` (the text after a `?` that swallowed a GBK lead byte) by
// one byte. `lost_tail` is true when the span ended at another `?`, which
// swallowed the trail byte of its last character and the ASCII byte after
// it. Returns the repaired text or nullopt.
//
// Bytes that are lost are guessed only from what is left of them: the lead
// of the first character (a punctuation row), the trail of the last one (the
// commonest news character its lead starts), and a pair the scraper dropped
// because it fell in GBK's user-defined area, when the character read
// across the gap is not a common one and a common word fits around it
// (`公司` in seed 002). Every other byte is read as it is; a character that
// cannot be had back, and the lost ASCII byte, become U+FFFD.
std::optional<Realigned> Realign(const std::u32string& span, bool lost_tail, Converter& gb,
                                 const std::function<bool(char32_t)>& frequent,
                                 const RealignTables& t) {
  std::u32string to_encode = span;
  // Scrapers fold full-width `！` (GBK A3A1) to ASCII.
  if (!to_encode.empty() && to_encode[0] == '!') to_encode[0] = 0xFF01;
  std::string bytes;
  for (char32_t cp : to_encode) {
    std::optional<std::string> b = gb.Encode(std::u32string(1, cp));
    if (!b.has_value() || b->empty() || b->size() > 2) return std::nullopt;
    bytes += *b;
  }
  if (bytes.size() < 2) return std::nullopt;
  auto ranked = [&t](char32_t cp) { return cp != 0 && cp < t.rank.size() && t.rank[cp] != 0; };
  auto char_of = [&t](unsigned lead, unsigned trail) { return t.pair[lead << 8 | trail]; };
  Realigned r;
  size_t written = 0;  // GBK bytes of r.text so far.
  auto emit = [&](char32_t cp, size_t width) {
    r.text.push_back(cp);
    written += width;
  };
  // The first byte is the trail of a character whose lead byte was lost:
  // guess a punctuation lead (rows A1 and A3 hold 。“”！，), preferring
  // sentence punctuation.
  const unsigned char first = static_cast<unsigned char>(bytes[0]);
  char32_t lead_guess = 0;
  for (unsigned lead : {0xA1u, 0xA3u}) {
    const char32_t cp = first >= 0x40 ? char_of(lead, first) : 0;
    if (cp == 0 || !frequent(cp)) continue;
    if (lead_guess == 0 || IsSentencePunct(cp)) lead_guess = cp;
  }
  if (lead_guess != 0) {
    r.guessed_bytes.push_back(0);
    emit(lead_guess, 2);
  } else {
    r.unread_bytes.push_back(0);
    r.text.push_back(kLostMark);
  }
  size_t k = 1;
  while (k < bytes.size()) {
    const unsigned char b = static_cast<unsigned char>(bytes[k]);
    if (b < 0x80) {
      emit(b, 1);
      ++k;
      continue;
    }
    if (k + 1 < bytes.size()) {
      const unsigned char trail = static_cast<unsigned char>(bytes[k + 1]);
      if (!IsGbkTrail(trail)) return std::nullopt;
      const char32_t read = char_of(b, trail);
      if (read == 0) return std::nullopt;
      if (!ranked(read)) {
        // A dropped user-defined pair between `b X` and `Y trail`.
        if (const uint32_t w = t.gap_word[b << 8 | trail]; w != 0) {
          const std::u32string& word = t.words[w - 1];
          r.guessed_bytes.push_back(written + 1);
          r.guessed_bytes.push_back(written + 2);
          emit(word[0], 2);
          emit(word[1], 2);
          k += 2;
          continue;
        }
        // Letters or symbols inside a Han run: what is left of two
        // characters around a dropped pair, not a character of the story.
        if (!IsHanOrPunct(read)) {
          r.unread_bytes.push_back(k);
          r.unread_bytes.push_back(k + 1);
          r.text.push_back(kLostMark);
          k += 2;
          continue;
        }
      }
      emit(read, 2);
      k += 2;
      continue;
    }
    // A dangling lead byte: its trail went into the `?` that ends the span.
    if (!lost_tail) return std::nullopt;
    // After a full stop the lost character is most likely a closing quote.
    char32_t best = t.tail_guess[b];
    if (b == 0xA1 && !r.text.empty() &&
        (r.text.back() == U'。' || r.text.back() == U'！' || r.text.back() == U'？')) {
      best = U'”';
    }
    if (best != 0) {
      r.guessed_bytes.push_back(written + 1);
      emit(best, 2);
    } else {
      r.unread_bytes.push_back(k);
      r.text.push_back(kLostMark);
    }
    ++k;
  }
  // The ASCII byte swallowed with the trail by the closing `?` is gone.
  if (lost_tail) r.text.push_back(kLostMark);
  return r;
}

bool IsTrigger(char32_t cp) { return cp == '?' || cp == 0xFFFD; }

}  // namespace

MojibakeResult MojibakeRepairer::Repair(absl::string_view text) const {
  MojibakeResult result;
  result.text.reserve(text.size());
  const std::function<bool(char32_t)> frequent = [this](char32_t cp) { return IsFrequent(cp); };
  std::unique_ptr<Converter> gb;  // Opened on the first suspect line.
  const RealignTables tables{tail_guess_, gbk_pair_, rank_, gap_word_, words_};
  std::string repaired_example, dropped_example;
  size_t attempts = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view line = text.substr(start, end - start);
    std::u32string cps = text::ToCodePoints(line);
    const Share before = ShareOf(cps, frequent);
    const bool has_trigger =
        std::any_of(cps.begin(), cps.end(), [](char32_t cp) { return IsTrigger(cp); });
    if (!has_trigger && (before.scored < kMinScored || before.value() >= kSuspectShare)) {
      result.text.append(line.data(), line.size());
    } else {
      if (gb == nullptr) gb = std::make_unique<Converter>("GB18030");
      // Whole lines of UTF-8 read as GBK, Big5 or Latin-1.
      if (before.scored >= kMinScored && before.value() < kSuspectShare) {
        for (const char* charset : {"GB18030", "windows-950", "windows-1252", "ISO-8859-1"}) {
          Converter conv(charset);
          if (!conv.ok()) continue;
          std::optional<std::string> bytes = conv.Encode(cps);
          if (!bytes.has_value() || FirstInvalidUtf8Offset(*bytes) != absl::string_view::npos) {
            continue;
          }
          const std::u32string decoded = text::ToCodePoints(*bytes);
          const Share after = ShareOf(decoded, frequent);
          if (after.value() >= kRepairedShare && after.value() - before.value() >= kMinGain) {
            if (repaired_example.empty()) repaired_example = Example(decoded);
            cps = decoded;
            ++result.repaired;
            break;
          }
        }
      }
      // Misaligned GBK spans after a `?` or U+FFFD.
      std::u32string out;
      size_t i = 0;
      while (i < cps.size()) {
        if (!IsTrigger(cps[i])) {
          out.push_back(cps[i++]);
          continue;
        }
        size_t j = i + 1;
        bool lost_tail = false;
        while (j < cps.size() && j - i <= kMaxSpan) {
          if (IsTrigger(cps[j])) {
            lost_tail = true;
            break;
          }
          if (cps[j] < 0x80 && !(j == i + 1 && cps[j] == '!')) {
            // An ASCII byte re-synchronises the decoder: it was the trail
            // byte of the last character.
            if (cps[j] >= 0x40) ++j;
            break;
          }
          ++j;
        }
        const std::u32string span = cps.substr(i + 1, j - i - 1);
        const Share span_share = ShareOf(span, frequent);
        std::optional<Realigned> fixed;
        if (gb->ok() && !span.empty() && j - i <= kMaxSpan && attempts < kMaxAttempts) {
          fixed = Realign(span, lost_tail, *gb, frequent, tables);
          ++attempts;
          // Seed 002's `?!?/p>`: the byte lost with the closing `?` was the
          // `<` of a tag the next stage removes, not a character.
          if (fixed.has_value() && lost_tail && j + 1 < cps.size() && cps[j + 1] == '/' &&
              !fixed->text.empty() && fixed->text.back() == kLostMark) {
            fixed->text.pop_back();
          }
        }
        if (fixed.has_value()) {
          std::u32string marked_out;  // Lost-character marks do not count.
          for (char32_t cp : fixed->text) {
            if (cp != kLostMark) marked_out.push_back(cp);
          }
          const Share fixed_share = ShareOf(marked_out, frequent);
          size_t han = 0;
          for (char32_t cp : marked_out) han += text::IsHan(cp) ? 1 : 0;
          // `?!?` for `。”`: punctuation alone, when both its ends were lost.
          const bool punctuation_only =
              lost_tail && marked_out.size() <= 3 &&
              std::all_of(marked_out.begin(), marked_out.end(), IsSentencePunct) &&
              std::all_of(span.begin(), span.end(), [](char32_t cp) { return cp == '!'; });
          // `?!爆F` for `。”現`: a short run that opens with the `!` of `。“`
          // or `。”` and reads as plausible Chinese once re-aligned.
          const bool opens_quote = span[0] == '!' && han >= 1 &&
                                   fixed_share.value() >= kRepairedShare;
          if (!punctuation_only && !opens_quote &&
              (han < 2 || fixed_share.value() < kRepairedShare ||
               fixed_share.value() - span_share.value() < kMinGain)) {
            fixed.reset();
          }
        }
        if (fixed.has_value()) {
          if (repaired_example.empty()) repaired_example = Example(fixed->text);
          MojibakeSpan record;
          record.garbled = text::FromCodePoints(span);
          record.repaired = text::FromCodePoints(fixed->text);
          record.guessed_bytes = std::move(fixed->guessed_bytes);
          record.unread_bytes = std::move(fixed->unread_bytes);
          for (char32_t cp : fixed->text) result.lost_marks += cp == kLostMark ? 1 : 0;
          result.spans.push_back(std::move(record));
          out += fixed->text;
          ++result.repaired;
          i = lost_tail ? j + 1 : j;
        } else if (cps[i] == 0xFFFD) {
          // A replacement character is never text.
          if (dropped_example.empty()) dropped_example = "U+FFFD";
          ++result.dropped;
          ++i;
        } else {
          out.push_back(cps[i++]);
        }
      }
      cps = std::move(out);
      // Whatever is still garbled goes.
      const Share after = ShareOf(cps, frequent);
      if (after.scored >= kMinScored && after.value() < kGarbledShare) {
        if (dropped_example.empty()) dropped_example = Example(cps);
        ++result.dropped;
        cps.clear();
      }
      result.text += text::FromCodePoints(cps);
    }
    if (end == text.size()) break;
    result.text.push_back('\n');
    start = end + 1;
  }
  if (result.repaired > 0) {
    result.warnings.push_back(absl::StrCat("mojibake_repaired: re-decoded ", result.repaired,
                                           " garbled span(s), e.g. \"", repaired_example, "\""));
  }
  if (result.lost_marks > 0) {
    result.warnings.push_back(absl::StrCat("mojibake_lost: marked ", result.lost_marks,
                                           " character(s) whose bytes were lost with U+FFFD"));
  }
  if (result.dropped > 0) {
    result.warnings.push_back(absl::StrCat("mojibake_dropped: removed ", result.dropped,
                                           " garbled span(s) that could not be repaired, e.g. \"",
                                           dropped_example, "\""));
  }
  return result;
}

size_t CountLostCharacters(absl::string_view text, size_t* total) {
  *total = 0;
  // Most pages have neither: skip the decoding pass.
  if (text.find("\xEF\xBF\xBD") == absl::string_view::npos &&
      text.find("锟斤拷") == absl::string_view::npos) {
    return 0;
  }
  size_t lost = 0, all = 0, pos = 0;
  const std::u32string kMarks = U"锟斤拷";
  size_t in_mark = 0;  // Position in a `锟斤拷` run.
  while (pos < text.size()) {
    const char32_t cp = text::NextCodePoint(text, &pos);
    if (cp < 0x80 || text::IsSpace(cp)) continue;
    ++all;
    if (cp == 0xFFFD) {
      ++lost;
      in_mark = 0;
    } else if (cp == kMarks[in_mark % 3]) {
      ++in_mark;
      if (in_mark % 3 == 0) lost += 3;
    } else {
      in_mark = cp == kMarks[0] ? 1 : 0;
    }
  }
  *total = all;
  return lost;
}

}  // namespace newsearch::ingest
