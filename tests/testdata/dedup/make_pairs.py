#!/usr/bin/env python3
"""Writes near-duplicate page pairs for the duplicate detection tests.

For every UTF-8 seed and sample page P under tests/testdata/pages, writes
pairs/NN_a.txt (P unchanged) and pairs/NN_b.txt: the same story as another
site would republish it: a different site chrome around it (header,
breadcrumb, share bar, footer), one clause of a long paragraph deleted,
`记者了解到，` inserted at the start of another, and the commas of a third
switched between full and half width.
Harder copies of some of these pages follow as pairs/NN_c.txt (HARD below):
a copy cut to its first 60% of lines, a copy with an added editor's note,
and copies converted to traditional script (with the `opencc` command,
Debian package opencc, s2t.json). Deterministic (random.Random).

Usage: make_pairs.py   (run from anywhere; rewrites pairs/)
"""

import os
import random
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PAGES = os.path.join(HERE, "..", "pages")
SOURCES = [
    "seeds/000_e08991b09324d687.txt",
    "seeds/001_f232a6c978050cd9.txt",
    "seeds/002_331070705eee9b45.txt",
    "seeds/004_88467e9bd05f3f70.txt",
    "samples/s01_trad_hualien_typhoon.txt",
    "samples/s05_fullwidth_yueyang_dragonboat.txt",
    "samples/s06_wechat_village_library.txt",
    "samples/s07_mixed_english_ningbo_port.txt",
    "samples/s08_messy_saline_rice.txt",
    "sources/s02_gbk_anxi_tea.utf8.txt",
    "sources/s03_big5_kinmen_ferry.utf8.txt",
]
# (pair number, transformation) of the harder copies NN_c.
HARD = [
    (1, "truncate"),
    (8, "note"),
    (9, "traditional"),
    (7, "traditional"),
]
NOTE = ("\n\n编者按：本文经作者授权转载，内容有删节。文中数据由当地有关部门提供，"
        "仅供读者参考。\n")
HEADERS = [
    "新华网首页 | 新闻 | 财经 | 体育 | 娱乐\n\n您现在的位置：首页 > 地方频道 > 正文\n\n",
    "人民网 >> 社会·法治\n\n字号：大 中 小\n\n",
    "东方网 首页 国内 国际 评论\n\n当前位置: 新闻中心 > 国内新闻\n\n",
]
FOOTERS = [
    "\n\n分享到：微信 微博 QQ空间\n\n网站地图 | 关于我们 | 联系我们\n\n版权所有 未经授权禁止转载\n",
    "\n\n(责任编辑：李明)\n\n热门推荐\n\n· 今日要闻汇总\n\n· 本周天气预报\n",
    "\n\n【纠错】 【打印】 【关闭】\n\n扫一扫，关注我们的微信公众号\n",
]


def variant(text, rng):
    paras = text.split("\n")
    long_idx = [i for i, p in enumerate(paras) if len(p) >= 60 and ("，" in p or "," in p)]
    rng.shuffle(long_idx)
    if long_idx:
        i = long_idx[0]
        comma = "，" if "，" in paras[i] else ","
        clauses = paras[i].split(comma)
        if len(clauses) > 2:
            del clauses[rng.randrange(1, len(clauses) - 1)]
            paras[i] = comma.join(clauses)
    if len(long_idx) > 1:
        i = long_idx[1]
        paras[i] = "记者了解到，" + paras[i]
    if len(long_idx) > 2:
        i = long_idx[2]
        if "，" in paras[i]:
            paras[i] = paras[i].replace("，", ",")
        else:
            paras[i] = paras[i].replace(",", "，")
    body = "\n".join(paras)
    return rng.choice(HEADERS) + body + rng.choice(FOOTERS)


def hard_variant(text, kind, rng):
    if kind == "truncate":
        lines = text.split("\n")
        return rng.choice(HEADERS) + "\n".join(lines[: len(lines) * 6 // 10])
    if kind == "note":
        return variant(text, rng) + NOTE
    converted = subprocess.run(["opencc", "-c", "s2t.json"], input=text.encode("utf-8"),
                               capture_output=True, check=True).stdout.decode("utf-8")
    return rng.choice(HEADERS) + converted + rng.choice(FOOTERS)


def main():
    out = os.path.join(HERE, "pairs")
    os.makedirs(out, exist_ok=True)
    texts = {}
    for n, rel in enumerate(SOURCES, start=1):
        with open(os.path.join(PAGES, rel), encoding="utf-8") as f:
            texts[n] = f.read()
        rng = random.Random(n)
        with open(os.path.join(out, "%02d_a.txt" % n), "w", encoding="utf-8") as f:
            f.write(texts[n])
        with open(os.path.join(out, "%02d_b.txt" % n), "w", encoding="utf-8") as f:
            f.write(variant(texts[n], rng))
    for n, kind in HARD:
        rng = random.Random(100 + n)
        with open(os.path.join(out, "%02d_c.txt" % n), "w", encoding="utf-8") as f:
            f.write(hard_variant(texts[n], kind, rng))


if __name__ == "__main__":
    main()
