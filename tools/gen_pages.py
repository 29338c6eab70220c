#!/usr/bin/env python3
"""Deterministic generator of synthetic raw Chinese news pages.

Writes plain-text pages in the style of the real scraped seeds
(shared/seeds/*.txt): site chrome (`关闭`, `您当前的位置 : 首页 > 新闻 > 正文`),
a headline, sometimes a `——` subtitle, a date/source/author line in one of
several formats (`2018-04-23 07:36:02  来源:某某日报   作者 张三`,
`2018年4月23日 来源: 《…》 作者: … 编辑: …`, `□本报记者 张三`), 5-20 body
paragraphs of news sentences built from the word lists below (economy,
technology, internet, party building, sports, culture, weather, rural
affairs, education), a `责任编辑:` line and a `相关阅读` trailer with links.
About 10% of the pages are in traditional characters (a small built-in
simplified -> traditional table: good enough for test data, not OpenCC),
English tokens (5G, COO, iPhone) are mixed in, and a few pages use
half-width punctuation or full-width digits the way real pages do.

Page i depends only on (--seed, i), so the first N pages of a larger run are
the N-page run. Standard library only.

Usage:
  gen_pages.py --count 10000 --seed 1 --out DIR
      writes DIR/page-000001.txt ... (UTF-8, about 1,000-2,500 characters each)
  gen_pages.py --count 10000 --seed 1 --jsonl FILE
      writes one JSON object per line with the fields the scripts in
      shared/peers read: id, title, published_at (ISO date, YYYY-MM-DD, which
      peers/sphinx_bench.py turns into a number), source, author, body
      (paragraphs separated by "\\n"). Line i is the article of page i.
  Both --out and --jsonl may be given in one run.
"""

import argparse
import json
import os
import random
import re
import sys

# ---------------------------------------------------------------------------
# Simplified -> traditional, one character each. Only unambiguous common
# characters (no 发/髮, 后/後, 里/裡, 干/幹, 台/臺 style splits that need
# context), written as consecutive (simplified, traditional) pairs.
_S2T_PAIRS = (
    "这這个個们們会會来來时時为為说說国國发發动動产產业業经經济濟网網络絡电電联聯"
    "长長开開关關东東车車门門问問间間对對现現实實区區县縣场場机機构構进進还還过過"
    "让讓认認识識设設计計记記讯訊论論议議话話语語读讀谁誰调調请請谈談证證评評该該"
    "详詳试試诚誠责責贫貧购購货貨贸貿费費资資质質赛賽赢贏选選边邊达達运運远遠适適"
    "递遞连連报報坚堅块塊声聲处處备備头頭奋奮学學宁寧宝寶将將导導层層岁歲岛島带帶"
    "师師币幣广廣庆慶应應库庫异異张張强強归歸当當录錄总總战戰户戶扩擴执執扫掃扬揚"
    "护護担擔拥擁择擇挥揮损損换換据據摄攝数數断斷无無旧舊显顯术術杂雜权權条條极極"
    "标標树樹样樣桥橋档檔检檢楼樓欢歡气氣汇匯汉漢没沒沟溝泽澤洁潔测測涨漲润潤渐漸"
    "温溫湾灣满滿滨濱灾災点點热熱爱愛状狀独獨环環画畫畅暢疗療监監盘盤矿礦码碼础礎"
    "确確礼禮离離种種积積称稱稳穩竞競笔筆签簽简簡类類粮糧纪紀约約级級纳納线線练練"
    "组組细細织織终終结結绕繞给給绝絕统統继繼绩績续續维維综綜绿綠缓緩编編罗羅职職"
    "胜勝脑腦脱脫节節艺藝苏蘇药藥获獲营營虑慮补補装裝观觀规規视視览覽觉覺订訂训訓"
    "访訪许許词詞译譯询詢误誤课課谋謀谢謝贝貝负負贡貢财財败敗贴貼贵貴贷貸赶趕赵趙"
    "趋趨跃躍践踐转轉轮輪软軟轻輕载載较較辆輛辑輯输輸辖轄迟遲逻邏遗遺邮郵乡鄉释釋"
    "针針钟鐘钢鋼钱錢铁鐵银銀销銷锋鋒错錯锦錦键鍵镇鎮闭閉闻聞阅閱队隊阳陽阵陣阶階"
    "际際陆陸险險随隨隐隱难難雾霧韩韓页頁顶頂项項顺順须須顾顧预預领領频頻题題颜顏"
    "额額风風飞飛馆館驱驅验驗鱼魚鸟鳥齐齊龙龍体體书書买買卖賣亿億仅僅从從价價众眾"
    "优優传傳伤傷伟偉债債儿兒党黨兰蘭兴興养養军軍农農冲衝决決况況冻凍准準击擊创創"
    "则則刘劉剧劇办辦务務劳勞势勢协協单單卫衛历歷厂廠压壓厅廳参參双雙变變叶葉号號"
    "吗嗎员員响響团團园園围圍图圖圆圓圣聖坛壇尘塵属屬岗崗帅帥忆憶怀懷态態恶惡惊驚"
    "惯慣愿願戏戲扰擾抢搶挂掛拟擬拨撥挤擠启啟晒曬暂暫杀殺杰傑枪槍柜櫃栏欄梦夢欧歐"
    "残殘毕畢沪滬浓濃涌湧涛濤渔漁湿濕滚滾灭滅灯燈灵靈烟煙烦煩烧燒爷爺狮獅献獻环環"
    "盖蓋盐鹽砖磚祸禍穷窮筑築筹籌紧緊红紅纯純纲綱纸紙绍紹绘繪缴繳缘緣罚罰聪聰肤膚"
    "舰艦艰艱芦蘆苍蒼荣榮莱萊萧蕭蓝藍虽雖袭襲见見讨討讲講诉訴诸諸谊誼谨謹谱譜贤賢"
    "贩販贯貫贺賀赋賦赏賞赔賠赖賴赚賺赞贊赠贈轨軌轰轟辅輔辈輩辉輝辞辭迁遷迈邁违違"
    "邓鄧邻鄰郑鄭鉴鑒钓釣铜銅铺鋪链鏈锁鎖锐銳锻鍛闪閃闯闖闹鬧阁閣阔闊阴陰陈陳韦韋"
    "顽頑顿頓颗顆饭飯饮飲饰飾饱飽马馬驻駐驾駕骑騎鲜鮮鸡雞鸣鳴麦麥齿齒网網亚亞"
    "测測讯訊块塊缤繽纷紛绵綿馈饋铭銘镜鏡态態滞滯厦廈乐樂习習处處办辦获獲举舉与與"
    "尔爾专專临臨义義乌烏听聽帮幫审審宽寬寻尋尽盡壮壯奖獎妇婦孙孫宾賓庄莊废廢弹彈"
    "忧憂扑撲抚撫拦攔挣掙摊攤撑撐栋棟渗滲滩灘潜潛灿燦炉爐烂爛焕煥猫貓猪豬粤粵纠糾"
    "缩縮脚腳苹蘋荐薦莲蓮萝蘿誉譽谐諧轩軒辽遼酿釀铃鈴陕陝颁頒驶駛骄驕鲁魯鸿鴻丰豐"
    "亏虧云雲亲親劝勸华華厉厲吓嚇坝壩垦墾墙牆妈媽庙廟径徑恳懇惩懲挚摯捞撈琼瓊么麼"
    "亩畝卢盧冯馮万萬杨楊拢攏吴吳蒋蔣岭嶺丽麗艳艷凯凱晓曉鹏鵬剑劍赟贇静靜吕呂"
    "着著触觸刚剛划劃减減凉涼严嚴两兩凤鳳乱亂侧側丝絲"
)
assert len(_S2T_PAIRS) % 2 == 0
S2T_TABLE = str.maketrans({_S2T_PAIRS[k]: _S2T_PAIRS[k + 1]
                           for k in range(0, len(_S2T_PAIRS), 2)
                           if _S2T_PAIRS[k] != _S2T_PAIRS[k + 1]})

FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
HALFWIDTH_PUNCT = str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "；": ";"})

# ---------------------------------------------------------------------------
# Shared vocabulary. Slots in templates are written {name}; a topic's own
# lists take precedence over these.
COMMON = {
    "place": "杭州 宁波 温州 台州 义乌 桐乡 嘉兴 湖州 绍兴 金华 衢州 丽水 舟山 上海 北京 深圳 广州 成都 "
             "武汉 西安 南京 苏州 重庆 天津 长沙 郑州 合肥 福州 厦门 青岛 济南 沈阳 昆明 贵阳 兰州 "
             "乌镇 路桥 西湖区 滨江区 萧山区 余杭区 黄岩区 椒江区 鄞州区 浦东新区 雄安新区".split(),
    "province": "浙江省 江苏省 广东省 四川省 湖北省 山东省 福建省 河南省 安徽省 湖南省 贵州省 云南省 "
                "内蒙古自治区 广西壮族自治区".split(),
    "when": "近日 日前 今年以来 上周 昨天上午 今天下午 近年来 截至目前 本月初 去年下半年 "
            "在刚刚结束的第一季度".split(),
    "role": "党委书记 总经理 副局长 相关负责人 董事长 首席执行官 研究员 主任 副部长 秘书长 "
            "COO CEO 创始人 项目经理 副市长 区长".split(),
    "leader_verb": "表示 介绍说 告诉记者 坦言 指出 强调 透露".split(),
    "en": "5G iPhone App APP QQ WiFi Wi-Fi iPad".split(),
    "en_alt": "手机 微信 客户端 网络平台 电脑 线上平台".split(),
    "media": "台州日报 中国台州网 人民网 新华网 光明网 浙江日报 钱江晚报 经济日报 科技日报 中国青年报 "
             "体育周报 文汇报 新京报 中新网 澎湃新闻 南方都市报 宁波晚报 杭州日报 温州都市报 "
             "中国经济网 央广网 现代金报 都市快报".split(),
    "magazine": "非公有制企业党建 今日浙江 观察与思考 中国经济周刊 半月谈 瞭望 小康 浙江经济".split(),
    "reaction": "引起广泛关注 受到群众好评 取得明显成效 赢得各方点赞 形成良好示范 激发了市场活力".split(),
    "future": "下一步 接下来 今后 未来三年 “十四五”期间 明年".split(),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢葛章阮".replace("", " ").split()
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀 霞 平 刚 桂 星 楚 兰 诗 意 玉 娟 "
         "爽 志 海 国 兴 晓 建 华 文 斌 宇 浩 凯 婷 雪 琳 晨 博 鹏 飞 欣 怡 佳 俊 帆 蓓 剑 赟").split()

TOPICS = {
    "economy": {
        "channel": "财经",
        "org": "市统计局 区发改局 市商务局 市场监督管理局 人民银行杭州中心支行 市税务局 工业园区管委会 "
               "经济技术开发区 市金融办 外贸企业协会 小微企业服务中心".split(),
        "thing": "地区生产总值 社会消费品零售总额 进出口总额 固定资产投资 规模以上工业增加值 "
                 "居民人均可支配收入 一般公共预算收入 实际利用外资 跨境电商交易额 GDP CPI".split(),
        "trend": "稳步增长 持续回暖 保持平稳 较快增长 逆势上扬 明显改善 稳中有进".split(),
        "measure": "减税降费 优化营商环境 金融支持实体经济 降低企业融资成本 扩大有效投资 促进消费升级 "
                   "稳外贸稳外资 推进数字化改造 培育专精特新企业".split(),
        "company": "吉利控股 万向集团 海康威视 正泰集团 娃哈哈 传化集团 得力集团 天能集团 红豆集团".split(),
        "head": [
            "{place}前{month}个月{thing}同比增长{pct}",
            "{org}出台{int}条措施{measure}",
            "{place}经济运行{trend} 新动能加快成长",
            "{company}发布年报 营业收入突破{big}亿元",
            "聚焦{measure} {place}打出政策“组合拳”",
        ],
        "sent": [
            "据{org}统计，{year}年{place}{thing}达到{num}亿元，同比增长{pct}。",
            "{when}，{place}{thing}{trend}，增速比全省平均水平高{small}个百分点。",
            "{org}{role}{leader_verb}，{future}将继续{measure}，推动经济高质量发展。",
            "从结构看，服务业增加值占比提高到{pct}，对经济增长的贡献率超过六成。",
            "{company}{role}{person}{leader_verb}，企业今年计划新增投资{num}亿元，其中一半用于技术改造。",
            "业内人士分析，{measure}的效果正在显现，市场预期{trend}。",
            "今年一季度，全市新设市场主体{big}户，其中小微企业占{pct}。",
            "{place}已累计为企业减负{num}亿元，惠及市场主体{big}家。",
            "{org}的数据显示，{thing}中高新技术产品占比达到{pct}。",
            "专家认为，在外部环境复杂多变的情况下，{place}经济{trend}实属不易。",
        ],
        "quote": [
            "订单排到了{month}月份，工人三班倒都忙不过来",
            "政策红利实实在在，企业发展信心更足了",
            "我们今年的目标是把出口额再提高{pct}",
        ],
    },
    "technology": {
        "channel": "科技",
        "org": "中国科学院 浙江大学 之江实验室 华为 阿里巴巴达摩院 科大讯飞 中国移动 中国电信 "
               "西湖大学 国家超算中心 海康威视研究院 清华大学".split(),
        "thing": "5G基站 人工智能 量子通信 芯片 新能源汽车 工业互联网 云计算 大数据中心 卫星互联网 "
                 "自动驾驶 AI大模型 智能机器人 区块链 物联网 VR设备".split(),
        "trend": "取得重大突破 进入规模化应用 实现自主可控 跑出加速度 达到国际先进水平".split(),
        "measure": "关键核心技术攻关 科技成果转化 数字经济“一号工程” 人才引进 产学研合作".split(),
        "company": "华为 中兴通讯 大华股份 新华三 蚂蚁集团 网易 字节跳动 小米 苹果公司".split(),
        "head": [
            "{org}在{thing}领域{trend}",
            "{place}建成{big}个{thing} 实现主城区全覆盖",
            "{company}发布新一代{thing} {en}性能提升{pct}",
            "“{thing}+”赋能制造业 {place}{measure}见成效",
            "{org}团队研制{thing} 成果登上国际期刊",
        ],
        "sent": [
            "{when}，{org}宣布在{thing}研究上{trend}，相关成果已进入测试阶段。",
            "截至{month}月底，{place}已建成{thing}{big}个，{en}用户突破{num}万户。",
            "{org}{role}{person}{leader_verb}，{thing}将在智能制造、智慧医疗等领域率先落地。",
            "与上一代产品相比，新一代{thing}的能耗降低{pct}，处理速度提高{int}倍。",
            "{company}{leader_verb}，公司研发投入占营业收入的比重已连续{int}年超过{pct}。",
            "业内专家指出，推动{measure}，关键在于打通从实验室到生产线的“最后一公里”。",
            "据介绍，该项目由{org}牵头，联合{int}家企业和高校共同承担。",
            "{place}计划到{year}年底培育{thing}相关企业{big}家，形成千亿级产业集群。",
            "记者在现场看到，工作人员正用{en}终端调试{thing}，一块大屏实时显示运行数据。",
        ],
        "quote": [
            "核心技术是要不来、买不来的，必须靠自己",
            "我们希望让{thing}像水和电一样方便",
            "这项技术的成本三年内有望下降一半",
        ],
    },
    "internet": {
        "channel": "互联网",
        "org": "市电子商务协会 区网信办 淘宝 天猫 京东 拼多多 抖音 快手 微信 阿里菜鸟 网商银行".split(),
        "thing": "网店 淘宝村 直播带货 短视频 小程序 跨境电商 微商 网络货运 App 社区团购 QQ群".split(),
        "trend": "井喷式发展 快速崛起 持续走热 迎来爆发 规范发展".split(),
        "measure": "网络生态治理 电商人才培训 网络诚信建设 数字乡村建设 清朗网络空间行动".split(),
        "company": "阿里巴巴 网易 腾讯 字节跳动 美团 携程 蘑菇街 云集".split(),
        "head": [
            "{place}{thing}{trend} 年成交额超{big}亿元",
            "打造清朗网络空间 {place}推进{measure}",
            "{org}联合{int}家平台开展{measure}",
            "一部手机“种”出致富路：{place}农民玩转{thing}",
            "{company}发布{year}年度报告 {thing}用户增长{pct}",
        ],
        "sent": [
            "{when}，{place}共有{thing}{big}家，带动就业{num}万人。",
            "占地{int}万平方米的电商产业园区里，{int}个淘宝村、{big}家天猫网店汇聚于此。",
            "{org}{role}{person}{leader_verb}，{future}将围绕{measure}出台更多配套政策。",
            "不公平竞争、恶意差评、舆论风波等问题也困扰着众多企业，成为他们健康成长的“拦路虎”。",
            "在{company}的直播间里，主播用{en}展示当地特产，{int}分钟内卖出{big}单。",
            "“{thing}”话题阅读量达到{num}万，评论转发超过{big}条。",
            "议题设置、撰写、制作、推送……一个个话题背后，活跃着一支年轻的网络宣传队伍。",
            "据{org}介绍，今年以来共处理网络投诉{big}件，办结率达到{pct}。",
            "不少店主坦言，过去遇到纠纷“不知道该找谁”，如今有了专门的服务窗口。",
        ],
        "quote": [
            "当互联网企业遭遇恶意纠缠时，几乎无力抵抗",
            "我们一起努力，打造清朗网络空间",
            "以前一天发几十单，现在一场直播就是几千单",
        ],
    },
    "party": {
        "channel": "党建",
        "org": "区委组织部 区委宣传部 市委两新工委 电商产业园区党支部 互联网行业协会党委 街道党工委 "
               "联合党委 党群服务中心 村党支部 非公企业党委".split(),
        "thing": "党建联席会议制度 “红色领航”工程 主题党日活动 “三会一课” 网上支部 党员示范岗 "
                 "党建沙龙 “红云平台” 党员先锋站 “掌上微课堂”".split(),
        "trend": "全面覆盖 走深走实 提质增效 有章可循 落地生根".split(),
        "measure": "两新组织党建 互联网业党建 基层党组织建设 党建引领基层治理 非公企业党建".split(),
        "company": "付爱宝电子商务有限公司 想天科技有限公司 菜鸟电子商务有限公司 顺网科技 二更公司".split(),
        "head": [
            "{place}：“红色领航”助推互联网企业扬帆前行",
            "党建引领 {place}探索{measure}新路径",
            "{org}推行{thing} 让党旗在网上飘扬",
            "让党建成为企业发展“方向盘”——{place}{measure}调查",
            "{place}{measure}{trend}：{big}名党员亮身份作表率",
        ],
        "sent": [
            "{when}，{org}联合出台《关于加强{measure}工作的意见》，确立{thing}。",
            "目前，全区{big}个互联网企业中，已建立党组织的企业有{int}个，在册党员{big}人。",
            "{org}{role}{person}{leader_verb}：“{quote}。”",
            "“年轻化、个性化、流动快、加班多”，这是互联网企业党员的显著特点。",
            "通过{thing}，党员活动实现线上组织，学习资料随时可查。",
            "{company}党支部书记{person}正逐个进行摸排，着手建立网上党支部。",
            "如今，{measure}在{place}进入了{trend}的高速推进期。",
            "党组织建立后，如何开展活动，则又是一大难题。",
            "以“诚信经营”为抓手，{place}深入推进党员示范网店创建，{reaction}。",
            "{future}，{org}将把{thing}推广到{int}个乡镇街道，实现{measure}{trend}。",
        ],
        "quote": [
            "党建做实了就是生产力，做强了就是竞争力",
            "有了党组织，企业遇到难题就有了主心骨",
            "把党建工作搬上网，年轻党员更愿意参与",
            "企业的困惑，就是我们工作的方向",
        ],
        "role": "党委书记 支部书记 组织委员 副部长 党建指导员 两新工委书记".split(),
    },
    "sports": {
        "channel": "体育",
        "org": "市体育局 中国篮协 中超联赛 CBA联赛 NBA 国家乒乓球队 中国女排 省游泳队 马拉松组委会 "
               "亚运会组委会 市体育中心".split(),
        "thing": "马拉松 篮球联赛 乒乓球公开赛 游泳锦标赛 田径邀请赛 全民健身日 足球超级联赛 亚运会 "
                 "全运会 自行车赛".split(),
        "trend": "圆满落幕 精彩上演 鸣枪开跑 战罢收官 强势卫冕".split(),
        "measure": "全民健身 青少年体育培训 体育场馆开放 竞技体育后备人才培养".split(),
        "company": "浙江稠州 广厦队 绿城队 上海申花 北京国安 山东泰山 广东宏远 辽宁本钢".split(),
        "head": [
            "{year}{place}{thing}{trend} {big}名选手同场竞技",
            "{company}主场{score}力克对手 取得{int}连胜",
            "{org}公布新赛季赛程 {place}将承办{int}场比赛",
            "{place}选手{person}夺得{thing}冠军",
            "推进{measure} {place}新建{int}个百姓健身房",
        ],
        "sent": [
            "{when}，{year}{place}{thing}{trend}，来自{int}个国家和地区的{big}名选手参赛。",
            "本场比赛，{company}开局便打出一波{int}比{small}的攻击波，最终以{score}获胜。",
            "{org}{role}{person}{leader_verb}，队伍将利用{int}天的休整期调整状态。",
            "男子组冠军成绩为2小时{int}分{int}秒，刷新了赛会纪录。",
            "赛后，主教练{person}坦言：“年轻队员顶住了压力，表现超出预期。”",
            "据统计，全市经常参加体育锻炼的人数比例已达到{pct}。",
            "沿途设置了{int}个补给站和{int}个医疗点，{big}名志愿者参与保障。",
            "{place}还将投入{num}亿元改造体育场馆，推动{measure}。",
        ],
        "quote": [
            "每一分都要拼，每一场都当决赛打",
            "能在家门口参赛，感觉特别不一样",
            "这枚金牌属于整个团队",
        ],
        "role": "主教练 队长 领队 裁判长 秘书长 副局长".split(),
    },
    "culture": {
        "channel": "文化",
        "org": "市文化广电旅游局 省博物馆 市图书馆 越剧团 美术馆 非遗保护中心 文化馆 电影节组委会".split(),
        "thing": "书画展 非遗展演 越剧专场 读书节 文化礼堂 民俗文化节 文物特展 电影周 古籍修复成果展".split(),
        "trend": "正式开幕 吸引众多市民 好评如潮 一票难求 圆满闭幕".split(),
        "measure": "文化惠民工程 非物质文化遗产保护 公共文化服务体系建设 全民阅读".split(),
        "company": "浙江小百花越剧院 杭州话剧团 宋城演艺 中国美院 西泠印社".split(),
        "head": [
            "{place}{thing}{trend}",
            "{company}新编剧目首演 {big}名观众现场观看",
            "推进{measure} {place}建成{int}个{thing}",
            "{int}件珍贵文物亮相{org}",
            "{year}年{place}{thing}启幕 {int}项活动贯穿全年",
        ],
        "sent": [
            "{when}，{place}{thing}在{org}{trend}，展出作品{big}余件。",
            "{org}{role}{person}{leader_verb}，本次活动是{measure}的重要内容。",
            "展厅里，{int}件明清时期的瓷器吸引了不少市民驻足观看。",
            "据统计，全市已建成农村文化礼堂{big}家，覆盖率达到{pct}。",
            "老艺人{person}从事这门手艺已经{int}年，带出徒弟{int}名。",
            "活动期间还将举办讲座、工作坊等{int}场，市民可通过{en}预约参加。",
            "{company}的演员们连续排练了{int}个月，把传统故事搬上了现代舞台。",
            "专家表示，{measure}既要守住根脉，也要让年轻人愿意走进来。",
        ],
        "quote": [
            "老手艺不能在我们这一代断了",
            "希望更多年轻人了解和喜欢传统文化",
            "每一次修复都是和古人的对话",
        ],
    },
    "weather": {
        "channel": "天气",
        "org": "市气象台 省气象局 中央气象台 防汛防台指挥部 市应急管理局".split(),
        "thing": "强冷空气 台风 梅雨 寒潮 高温天气 强对流天气 大范围降雨 雨雪冰冻".split(),
        "trend": "来袭 持续发威 逐渐减弱 北抬 影响全省".split(),
        "measure": "防汛防台 防暑降温 道路结冰防范 地质灾害防御".split(),
        "company": "国家电网 自来水公司 公交集团 高速交警".split(),
        "head": [
            "{thing}{trend} {place}气温将下降{int}℃",
            "{org}发布{color}预警 {place}启动应急响应",
            "{place}今年第{int}号台风过境 累计降水量{big}毫米",
            "做好{measure} {org}提醒市民减少外出",
            "{place}入梅 {thing}将持续{int}天",
        ],
        "sent": [
            "据{org}预报，受{thing}影响，{when}起{place}将出现明显降温，最低气温{small}℃。",
            "{org}已于今天{int}时发布{color}预警信号，提醒各地做好{measure}工作。",
            "{when}，{place}最大降水量出现在山区，达{big}毫米。",
            "{org}{role}{person}{leader_verb}，{thing}将在{int}天后逐渐减弱。",
            "全市已转移危险区域群众{big}人，开放避灾安置点{int}个。",
            "{company}安排{big}名抢修人员24小时待命，确保供电供水正常。",
            "气象专家提醒，出行前可通过{en}查询实时路况和天气信息。",
            "未来一周，{place}以多云到阴天为主，气温在{small}℃到{int}℃之间。",
        ],
        "quote": [
            "宁可十防九空，不可失防万一",
            "一晚上没合眼，好在大家都转移出来了",
            "这样的雨量在本地并不多见",
        ],
    },
    "rural": {
        "channel": "三农",
        "org": "县农业农村局 村党支部 建国合作社 乡镇农技站 供销社 扶贫办".split(),
        "thing": "红辣椒 茶叶 杨梅 高山蔬菜 水稻 中药材 精品民宿 乡村旅游 稻田养鱼".split(),
        "trend": "喜获丰收 走俏市场 成为致富产业 连片发展".split(),
        "measure": "乡村振兴 脱贫攻坚 农村人居环境整治 “千万工程” 强村富民".split(),
        "company": "苏波盖村 青岩刘村 下姜村 余村 鲁家村".split(),
        "head": [
            "{company}：{thing}{trend} 村民日子越过越红火",
            "{place}推进{measure} {int}个村集体经济收入超百万",
            "小{thing}做成大产业 {place}农户亩均增收{big}元",
            "党员带头种{thing} 村里有了新产业",
        ],
        "sent": [
            "{when}，{company}的{big}亩{thing}{trend}，亩产达到{big}公斤。",
            "村支部班子成员和{int}名党员村民组建合作社，种下了{big}亩{thing}。",
            "根据目前的行情，每亩收入有望达到{big}元。",
            "老百姓不敢种，我们党员带头先来！一位老党员的话，让大家茅塞顿开。",
            "{org}{role}{person}{leader_verb}，{future}要打造万亩{thing}种植基地。",
            "合作社还解决了{int}名贫困人员的就业问题，{reaction}。",
            "通过{measure}，{place}农村居民人均可支配收入增长{pct}。",
            "村民们用{en}直播卖{thing}，订单来自全国各地。",
        ],
        "quote": [
            "把老百姓的日子过成节，这是咱们努力的方向",
            "以前怕赔钱不敢种，现在抢着种",
            "家门口就能挣钱，不用再出去打工了",
        ],
    },
    "education": {
        "channel": "教育",
        "org": "市教育局 浙江大学 杭州二中 职业技术学院 青少年宫 教育考试院".split(),
        "thing": "新学期 高考 中考 “双减”政策 课后服务 职业教育 研学旅行 智慧校园 劳动教育".split(),
        "trend": "平稳有序 全面落地 受到家长欢迎 取得新进展".split(),
        "measure": "教育均衡发展 集团化办学 教师队伍建设 校园安全管理".split(),
        "company": "学军中学 杭州外国语学校 文澜中学 天长小学".split(),
        "head": [
            "{place}{thing}{trend}",
            "{org}推出{int}项举措 推进{measure}",
            "{place}今年新建改扩建学校{int}所 新增学位{big}个",
            "{company}学生获{thing}全国一等奖",
        ],
        "sent": [
            "{when}，{place}{thing}{trend}，全市{big}名考生参加考试。",
            "{org}{role}{person}{leader_verb}，今年将新增学位{big}个，缓解入学压力。",
            "课后服务覆盖了全市{pct}的义务教育学校，参与学生超过{num}万人。",
            "{company}的老师们利用{en}开展线上教学，学生可以随时回看。",
            "家长{person}说，孩子放学后在学校就能完成作业，全家轻松了不少。",
            "通过{measure}，城乡学校之间的差距正在逐步缩小。",
        ],
        "quote": [
            "让每个孩子都能在家门口上好学",
            "减负不减质，关键在课堂",
        ],
    },
}
TOPIC_NAMES = sorted(TOPICS)
COLORS = "蓝色 黄色 橙色 红色".split()

# Sentences any topic may use; mixed into every page's deck.
GENERAL_SENTENCES = [
    "{when}，记者从{org}获悉，{place}{thing}相关工作{trend}。",
    "记者了解到，这一做法已在{place}{int}个乡镇推广。",
    "据了解，{place}将以此为契机，进一步完善长效机制。",
    "{place}相关部门负责人表示，将持续关注后续进展，及时回应群众关切。",
    "数据显示，{year}年以来，{place}累计投入资金{num}亿元。",
    "这是{place}首次举办此类活动，共有{big}人次参与。",
    "对此，{org}已着手研究制定配套办法，预计{month}月底前出台。",
    "在{place}，类似的故事还有很多。",
    "不少市民通过{en}留言点赞，认为这是一件“办到心坎上”的实事。",
    "当天，{province}有关部门负责同志到现场调研指导。",
    "{future}，{place}将坚持问题导向，把{measure}各项任务落到实处。",
    "据悉，相关工作将纳入年度考核，确保取得实效。",
    "在随后的座谈会上，{int}位代表先后发言，围绕{thing}提出意见建议。",
    "“{quote}”，这是记者在采访中听到最多的一句话。",
    "{person}是土生土长的{place}人，大学毕业后回到家乡创业。",
    "面对新形势新任务，{org}主动作为，先后推出{int}项便民举措。",
    "记者注意到，与往年相比，今年的参与者中年轻人明显增多。",
    "截至{month}月底，相关项目已完成投资{num}亿元，占年度计划的{pct}。",
    "{province}{place}的做法，为其他地区提供了可复制、可推广的经验。",
    "说起这段经历，{person}深有感触。",
]

# Whole paragraphs built around a quote.
QUOTE_PARAGRAPHS = [
    "“{quote}，”{person}{leader_verb}，“{quote}。”",
    "“{quote}。”{org}{role}{person}对记者说。",
    "{person}告诉记者：“{quote}。”",
    "“{quote}！”说起这些变化，{person}笑得合不拢嘴。",
]

_SLOT = re.compile(r"\{(\w+)\}")


def _compile(template):
    """Splits a template into (literal, slot) pairs; slot None at the end."""
    parts, pos = [], 0
    for m in _SLOT.finditer(template):
        parts.append((template[pos:m.start()], m.group(1)))
        pos = m.end()
    parts.append((template[pos:], None))
    return tuple(parts)


GENERAL_C = [_compile(s) for s in GENERAL_SENTENCES]
QUOTE_PARAGRAPHS_C = [_compile(s) for s in QUOTE_PARAGRAPHS]
for _t in TOPICS.values():
    _t["head_c"] = [_compile(s) for s in _t["head"]]
    _t["sent_c"] = [_compile(s) for s in _t["sent"]]
    _t["quote_c"] = [_compile(s) for s in _t["quote"]]

# Page length bounds (characters, chrome included) and paragraph counts.
MIN_CHARS, MAX_CHARS = 1000, 2500
MIN_PARAS, MAX_PARAS = 5, 20


class Page:
    """The random source, topic and shared facts of one page."""

    def __init__(self, seed, index):
        self.rng = random.Random(f"newsearch-gen-pages/{seed}/{index}")
        r = self.rng
        self.topic = TOPICS[r.choice(TOPIC_NAMES)]
        self.year = r.randint(2012, 2023)
        self.month = r.randint(1, 12)
        self.day = r.randint(1, 28)
        self.place = r.choice(COMMON["place"])
        self.author = self.person()
        # About a third of the pages mix in English tokens (5G, COO, iPhone).
        self.english = r.random() < 0.35
        self._deck = []

    def person(self):
        r = self.rng
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def slot(self, name):
        r = self.rng
        if name == "person":
            return self.person()
        if name == "num":
            return f"{r.randint(1, 999)}.{r.randint(0, 9)}"
        if name == "pct":
            return f"{r.randint(1, 45)}.{r.randint(0, 9)}%"
        if name == "int":
            return str(r.randint(2, 60))
        if name == "small":
            return str(r.randint(1, 9))
        if name == "big":
            return str(r.randint(100, 9999))
        if name == "year":
            return str(self.year)
        if name == "month":
            return str(r.randint(1, 12))
        if name == "score":
            a = r.randint(80, 120)
            return f"{a}比{a - r.randint(1, 20)}"
        if name == "en" and (not self.english or r.random() < 0.5):
            return r.choice(COMMON["en_alt"])  # English only on some pages
        if name == "color":
            return r.choice(COLORS)
        if name == "quote":
            return self.fill(r.choice(self.topic["quote_c"]))
        if name == "place" and r.random() < 0.5:
            return self.place  # an article keeps coming back to its own place
        words = self.topic.get(name) or COMMON[name]
        word = r.choice(words)
        if name == "role" and not self.english and word.isascii():
            return "负责人"
        return word

    def fill(self, parts):
        out = []
        for literal, name in parts:
            out.append(literal)
            if name is not None:
                out.append(self.slot(name))
        return "".join(out)

    def sentence(self):
        """Returns the next body sentence; templates repeat only after the
        page's shuffled deck (topic + general sentences) runs out."""
        if not self._deck:
            self._deck = self.topic["sent_c"] + GENERAL_C
            self.rng.shuffle(self._deck)
        return self.fill(self._deck.pop())


def make_article(seed, index):
    """Returns page `index`'s article and chrome choices as a dict; the body
    is sized so that the rendered page has MIN_CHARS..MAX_CHARS characters."""
    p = Page(seed, index)
    r, topic = p.rng, p.topic
    art = {
        "title": p.fill(r.choice(topic["head_c"])),
        "subtitle": "——" + p.fill(r.choice(topic["head_c"])) if r.random() < 0.15 else "",
        "source": r.choice(COMMON["media"]),
        "magazine": r.choice(COMMON["magazine"]),
        "author": p.author,
        "editor": p.person(),
        "date": (p.year, p.month, p.day),
        "time": (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)),
        "channel": topic["channel"],
        "style": r.randrange(4),
        "links": r.sample(COMMON["media"], 8),
        "related": [p.fill(r.choice(TOPICS[r.choice(TOPIC_NAMES)]["head_c"]))
                    for _ in range(r.randint(2, 5))],
        # Full-width digits in the date line only (`２０１８年`), as some feeds send.
        "fullwidth_date": r.random() < 0.03,
        "paragraphs": [],
    }
    # The outlet exactly as the page's 来源 names it (what a parser should find).
    art["page_source"] = {1: art["magazine"],
                          2: f"{art['source']}-{art['channel']}频道"}.get(art["style"],
                                                                          art["source"])
    chrome = len(render_page(art))
    n_paras = r.randint(MIN_PARAS, MAX_PARAS)
    per_para_overhead = 4  # indent and blank line in the roomiest style
    budget = r.randint(MIN_CHARS + 50, MAX_CHARS - 100) - chrome - n_paras * per_para_overhead
    paragraphs, regular, used = [], [], 0
    if r.random() < 0.3:
        paragraphs.append(f"图为{p.place}{topic['channel']}活动现场。(资料图片)")
        used += len(paragraphs[-1])
    for k in range(n_paras - len(paragraphs)):
        roll = r.random()
        if k > 0 and roll < 0.08:
            # A short section head, as in seed 000.
            para = "“" + p.fill(r.choice(topic["quote_c"])) + "”"
        elif roll < 0.22:
            para = p.fill(r.choice(QUOTE_PARAGRAPHS_C))
        else:
            target = max(40, (budget - used) // (n_paras - len(paragraphs)))
            sentences = [p.sentence()]
            length = len(sentences[0])
            while length < target:
                sentences.append(p.sentence())
                length += len(sentences[-1])
            para = "".join(sentences)
            regular.append(len(paragraphs))
        paragraphs.append(para)
        used += len(para)
    # Top up short pages (many quote paragraphs) and trim long ones.
    while used < budget - 30 and regular:
        k = r.choice(regular)
        extra = p.sentence()
        paragraphs[k] += extra
        used += len(extra)
    while used > budget + 150 and len(paragraphs) > MIN_PARAS:
        used -= len(paragraphs.pop())
    art["paragraphs"] = paragraphs
    return art


def render_page(art):
    """Lays the article out as a raw page with chrome, in one of four styles.
    A pure function of `art`."""
    y, m, d = art["date"]
    hh, mi, ss = art["time"]
    fw = FULLWIDTH_DIGITS if art["fullwidth_date"] else {}
    paragraphs = art["paragraphs"]
    lines = []
    if art["style"] == 0:  # seed 000: 关闭, title, dash date + 来源, blank-line paragraphs
        lines += ["关闭", "", art["title"], ""]
        if art["subtitle"]:
            lines += [art["subtitle"], ""]
        lines += [f"{y}-{m:02d}-{d:02d} {hh:02d}:{mi:02d}:{ss:02d}".translate(fw)
                  + f"  来源:{art['source']}   {art['author']}", ""]
        for para in paragraphs:
            lines += [para, ""]
        lines += [f"责任编辑:{art['editor']}", "相关阅读"]
        lines += [f"· {t}" for t in art["related"]]
    elif art["style"] == 1:  # seed 001: banner, breadcrumb, 年月日 + 《刊名》, indented
        lines += [f"{art['source']} — {art['channel']}频道", "",
                  f"您当前的位置 : 首页 > {art['channel']} > 正文", "", art["title"], ""]
        if art["subtitle"]:
            lines += [art["subtitle"], ""]
        lines += [f"{y}年{m:02d}月{d:02d}日".translate(fw)
                  + f" 来源: 《{art['page_source']}》 作者: 本刊记者 {art['author']} "
                  f"编辑: {art['editor']}", "", " "]
        for para in paragraphs:
            lines += [f"  {para}", ""]
        lines += [f"责任编辑:{art['editor']}", "", "相关阅读", ""]
        lines += [f"    {t}" for t in art["related"]]
        lines += ["", "    友情链接", "", "    " + " ".join(art["links"])]
    elif art["style"] == 2:  # seeds 002/004: byline box, no blank lines, source last
        lines += [f"□本报记者 {art['author']}", art["title"]]
        if art["subtitle"]:
            lines.append(art["subtitle"])
        lines.append(f"{y}年{m}月{d}日".translate(fw))
        lines += paragraphs
        lines += [f"来源: {art['page_source']}", f"责任编辑:{art['editor']}",
                  "相关阅读"]
        lines += art["related"]
    else:  # a portal page: nav bar, 发布时间, 作者, share and WeChat promo lines
        lines += ["首页 | 新闻 | 财经 | 科技 | 体育 | 文化 | 党建",
                  "您当前的位置 : 首页 > 新闻 > 正文", "", art["title"], ""]
        if art["subtitle"]:
            lines += [art["subtitle"], ""]
        lines += ["发布时间:" + f"{y}-{m:02d}-{d:02d} {hh:02d}:{mi:02d}".translate(fw)
                  + f"  来源:{art['source']}  作者 {art['author']}", "", "分享到:", ""]
        for para in paragraphs:
            lines += [para, ""]
        lines += [f"【责任编辑:{art['editor']}】", "",
                  f"扫一扫关注{art['source']}微信公众号，获取更多资讯", "", "相关阅读"]
        lines += [f"· {t}  {y}-{m:02d}-{d:02d}" for t in art["related"]]
    return "\n".join(lines) + "\n"


def generate(seed, index, traditional_ratio):
    """Returns (raw page text, JSONL record) for page `index` (1-based)."""
    art = make_article(seed, index)
    # Script and punctuation choices come from their own stream, so that
    # changing --traditional-ratio changes nothing else about a page.
    r = random.Random(f"newsearch-gen-pages/{seed}/{index}/script")
    page = render_page(art)
    fields = [page, art["title"], "\n".join(art["paragraphs"]), art["page_source"],
              art["author"]]
    if r.random() < 0.25:
        # Half-width commas, colons and brackets, as in seed 000.
        fields = [f.translate(HALFWIDTH_PUNCT) for f in fields]
    if r.random() < traditional_ratio:
        fields = [f.translate(S2T_TABLE) for f in fields]
    page, title, body, source, author = fields
    y, m, d = art["date"]
    record = {
        "id": f"page-{index:06d}",
        "title": title,
        "published_at": f"{y:04d}-{m:02d}-{d:02d}",
        "source": source,
        "author": author,
        "body": body,
    }
    return page, record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of pages")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", help="directory for page-NNNNNN.txt files")
    parser.add_argument("--jsonl", help="file for one JSON article per line")
    parser.add_argument("--traditional-ratio", type=float, default=0.1,
                        help="share of pages in traditional characters (default 0.1)")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    if not args.out and not args.jsonl:
        parser.error("give --out DIR, --jsonl FILE, or both")
    if not 0.0 <= args.traditional_ratio <= 1.0:
        parser.error("--traditional-ratio must be between 0 and 1")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    jsonl = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    try:
        for i in range(1, args.count + 1):
            page, record = generate(args.seed, i, args.traditional_ratio)
            if args.out:
                with open(os.path.join(args.out, f"page-{i:06d}.txt"), "w",
                          encoding="utf-8") as f:
                    f.write(page)
            if jsonl:
                jsonl.write(json.dumps(record, ensure_ascii=False))
                jsonl.write("\n")
    finally:
        if jsonl:
            jsonl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
