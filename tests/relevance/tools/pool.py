#!/usr/bin/env python3
"""Lists the judging pool of each evaluation query, for the assessor to read.

For every query in tests/relevance/data/queries.tsv this prints every
article -- the seed and fixture articles of articles.jsonl and the generated
distractors -- whose text contains one of the query's positive atoms in
folded form, with the atoms it contains, the surrounding text and the grade
already given in qrels.tsv (`?` when the article is not judged yet, which
means 0 once the query is finished). Fixture articles that contain every
character of an atom of three or more Han characters but not the atom itself
are listed too, marked `chars`, so a relevant article that words things
differently is not missed.

Folding is what the search service's analyzer promises: NFKC (full-width ->
half-width), lower case, and traditional -> simplified. An atom matches when
it occurs in either of two foldings of the text: OpenCC `t2s` (character and
phrase conversion only) or OpenCC `tw2sp` (adds Taiwan phrases: 網路 -> 网络,
軟體 -> 软件, 計程車 -> 出租车). Both are needed: tw2sp alone also rewrites
ordinary words (核心 -> 内核, 建立 -> 创建, 列舉 -> 枚举), so a pool built on
it alone would miss articles. It calls the `opencc` command-line tool (Debian
package `opencc`) twice per corpus.

Query atoms follow search-service/query/query_parser.h closely enough for
pooling: whitespace-separated terms, "..." / “...” / 「...」 phrases,
`title:` `source:` `author:` prefixes (the atom must be in that field),
`OR` and `AND` ignored (every atom is pooled), a leading `-` or `NOT` makes
the next atom negative (shown, not pooled).

Distractors: tools/gen_pages.py --count N --seed S --jsonl (3000 and 7, as
tests/relevance/README.md states), ids page-000001 -> gen-page-000001 as in
the relevance harness. They are
never relevant; the pool shows how many contain each query and the first
--show_distractors of them in full context so their text can be read.

Usage:
  pool.py [--qid q001 ...] [--count 3000] [--seed 7] [--show_distractors 3]
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data')
ROOT = os.path.join(HERE, '..', '..', '..')
SEP = '\n\u241e\n'


def fold_many(texts, config='tw2sp.json'):
    """NFKC + lower + one OpenCC config over many texts with one opencc call."""
    pre = [unicodedata.normalize('NFKC', t).lower() for t in texts]
    out = subprocess.run(['opencc', '-c', config], input=SEP.join(pre),
                         capture_output=True, text=True, check=True).stdout
    parts = out.split(SEP)
    if len(parts) != len(texts):
        sys.exit('opencc changed the record separator; cannot fold')
    return parts


def parse_atoms(query):
    """Returns [(text, field, negative)] for the atoms of a query."""
    atoms = []
    neg = False
    field = None
    pos = 0
    q = unicodedata.normalize('NFKC', query)
    token = re.compile(r'\s*(?:(title:|source:|author:|标题:|来源:|作者:)|'
                       r'("[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』)|([()|])|([^\s()|"“「『]+))')
    fields = {'title:': 'title', '标题:': 'title', 'source:': 'source',
              '来源:': 'source', 'author:': 'authors', '作者:': 'authors'}
    while pos < len(q):
        m = token.match(q, pos)
        if not m:
            break
        pos = m.end()
        pre, phrase, paren, term = m.groups()
        if pre:
            field = fields[pre]
            continue
        if paren:
            continue
        if term in ('OR', 'AND'):
            continue
        if term == 'NOT':
            neg = True
            continue
        text = phrase[1:-1] if phrase else term
        if term and text[0] in '-+' and len(text) > 1:
            neg = neg or text[0] == '-'
            text = text[1:]
        if text.strip():
            atoms.append((text.strip(), field, neg))
        neg = False
        field = None
    return atoms


def contexts(text, needle, width):
    out = []
    start = 0
    while len(out) < 3:
        i = text.find(needle, start)
        if i < 0:
            break
        out.append(text[max(0, i - width):i].replace('\n', '/') + '【' + needle + '】' +
                   text[i + len(needle):i + len(needle) + width].replace('\n', '/'))
        start = i + len(needle)
    return out


def load_distractors(count, seed):
    fd, path = tempfile.mkstemp(suffix='.jsonl')
    os.close(fd)
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'gen_pages.py'),
                        '--count', str(count), '--seed', str(seed), '--jsonl', path],
                       check=True, stdout=subprocess.DEVNULL)
        out = []
        with open(path, encoding='utf-8') as f:
            for line in f:
                d = json.loads(line)
                out.append({'id': 'gen-' + d['id'], 'title': d['title'],
                            'published_at': d['published_at'], 'source': d['source'],
                            'authors': [d['author']] if d.get('author') else [],
                            'body': d['body']})
        return out
    finally:
        os.unlink(path)


def folded_fields(arts):
    flat = []
    for a in arts:
        flat += [a['title'], a['body'], a['source'], ' '.join(a['authors'])]
    # The two foldings of a field, joined by a separator no atom contains.
    f = [x + '\u241f' + y for x, y in zip(fold_many(flat, 't2s.json'), fold_many(flat))]
    for k, a in enumerate(arts):
        t, b, s, au = f[4 * k:4 * k + 4]
        a['_f'] = {'title': t, 'body': b, 'source': s, 'authors': au,
                   None: t + '\n' + b}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qid', nargs='*')
    ap.add_argument('--count', type=int, default=3000)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--show_distractors', type=int, default=3)
    ap.add_argument('--width', type=int, default=22)
    ap.add_argument('--contexts', type=int, default=1, help='contexts shown per atom')
    args = ap.parse_args()

    arts = [json.loads(l) for l in open(os.path.join(DATA, 'articles.jsonl'), encoding='utf-8')]
    gens = load_distractors(args.count, args.seed) if args.count else []
    folded_fields(arts)
    if gens:
        folded_fields(gens)
    queries = []
    for line in open(os.path.join(DATA, 'queries.tsv'), encoding='utf-8'):
        qid, kind, query, note = line.rstrip('\n').split('\t')
        queries.append((qid, kind, query, note))
    qrels = collections.defaultdict(dict)
    qpath = os.path.join(DATA, 'qrels.tsv')
    if os.path.exists(qpath):
        for line in open(qpath, encoding='utf-8'):
            qid, aid, grade = line.rstrip('\n').split('\t')
            qrels[qid][aid] = grade

    for qid, kind, query, note in queries:
        if args.qid and qid not in args.qid:
            continue
        atoms = parse_atoms(query)
        texts = fold_many([a for a, _, _ in atoms]) if atoms else []
        atoms = [(t.strip(), f, n) for t, (_, f, n) in zip(texts, atoms)]
        pos = [(t, f) for t, f, n in atoms if not n]
        negs = [(t, f) for t, f, n in atoms if n]
        print(f'=== {qid} [{kind}] {query}   ({note})')
        print('    positive atoms:', ' | '.join(f'{f + ":" if f else ""}{t}' for t, f in pos),
              '   negative:', ' | '.join(t for t, _ in negs) or '-')
        listed = set()
        for a in arts:
            fz = a['_f']
            hit = [t for t, f in pos if t in fz[f]]
            chars = [t for t, f in pos if t not in fz[f] and len(t) > 2 and
                     all('\u4e00' <= c <= '\u9fff' for c in t) and
                     all(c in fz[f] for c in t)]
            if not hit and not chars:
                continue
            listed.add(a['id'])
            neg = [t for t, f in negs if t in fz[f]]
            tag = 'ALL' if len(hit) == len(pos) else ('some' if hit else 'chars')
            g = qrels[qid].get(a['id'], '?')
            dup = f' dup_of={a["duplicate_of"]}' if a['duplicate_of'] else ''
            print(f'  [{g}] {a["id"]:<11} {tag:<5}{" NEG:" + ",".join(neg) if neg else ""}'
                  f' {a["published_at"][:10]} {a["source"]}{dup} | {a["title"]}')
            for t in hit:
                f = next(f for tt, f in pos if tt == t)
                for c in contexts(fz[f].split('\u241f')[-1] if t in fz[f].split('\u241f')[-1]
                                  else fz[f], t, args.width)[:args.contexts]:
                    print('        ', c)
        for aid, g in sorted(qrels[qid].items()):
            if aid not in listed:
                print(f'  [{g}] {aid:<11} judged, but contains no atom')
        if gens:
            all_hit = [d for d in gens if pos and all(t in d['_f'][f] for t, f in pos)]
            any_hit = [d for d in gens if any(t in d['_f'][f] for t, f in pos)]
            print(f'  distractors: {len(all_hit)} contain every atom, {len(any_hit)} contain one')
            for d in all_hit[:args.show_distractors]:
                print(f'   {d["id"]} | {d["title"]}')
                for t, f in pos:
                    for c in contexts(d['_f'][f], t, args.width)[:1]:
                        print('        ', c)
        print()


if __name__ == '__main__':
    main()
