#!/usr/bin/env python3
"""Checks the relevance evaluation collection in tests/relevance/data/.

articles.jsonl: every line one JSON object with exactly the fields id, title,
published_at, source, authors, body, script, duplicate_of (types and formats
as in tests/relevance/README.md); ids unique; duplicate_of names an earlier,
existing article that is not itself a copy. queries.tsv: four tab-separated
columns qid, kind, query, note; qids unique; kind from the known list.
qrels.tsv: qid, article_id, grade (1-3); both ids exist, no pair twice, no
judgment on a generated distractor (gen-...); every query has judgments
except those of kind no_answer, which have none.

Usage: validate.py [DATA_DIR]   (default: the data/ folder next to tools/)
Prints a summary and exits 1 with one line per problem.
"""

import collections
import json
import os
import re
import sys

FIELDS = ('id', 'title', 'published_at', 'source', 'authors', 'body', 'script',
          'duplicate_of')
KINDS = ('topical', 'person', 'company', 'place', 'phrase', 'cross_script', 'field',
         'boundary', 'number_date', 'mixed', 'boolean', 'regional', 'no_answer')
DATE = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$')
ID = re.compile(r'^(seed-\d{3}(-\d)?|fx-\d{3})$')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'data')
    problems = []

    def bad(where, msg):
        problems.append(f'{where}: {msg}')

    articles = {}
    order = []
    path = os.path.join(data, 'articles.jsonl')
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            where = f'articles.jsonl:{n}'
            try:
                a = json.loads(line)
            except json.JSONDecodeError as e:
                bad(where, f'not valid JSON: {e}')
                continue
            if not isinstance(a, dict) or tuple(sorted(a)) != tuple(sorted(FIELDS)):
                bad(where, f'fields must be exactly {", ".join(FIELDS)}')
                continue
            aid = a['id']
            if not isinstance(aid, str) or not ID.match(aid):
                bad(where, f'id {aid!r} is not seed-NNN, seed-NNN-N or fx-NNN')
                continue
            if aid in articles:
                bad(where, f'id {aid} repeated')
            for k in ('title', 'published_at', 'source', 'body', 'script', 'duplicate_of'):
                if not isinstance(a[k], str):
                    bad(where, f'{k} must be a string')
            if not isinstance(a['authors'], list) or not all(
                    isinstance(x, str) and x for x in a['authors']):
                bad(where, 'authors must be an array of non-empty strings')
            if not a['title'].strip() or not a['body'].strip():
                bad(where, f'{aid}: empty title or body')
            if a['published_at'] and not DATE.match(a['published_at']):
                bad(where, f'{aid}: published_at {a["published_at"]!r} is not '
                    'YYYY-MM-DDTHH:MM:SS+08:00 or empty')
            if a['script'] not in ('zh-Hans', 'zh-Hant'):
                bad(where, f'{aid}: script must be zh-Hans or zh-Hant')
            if re.search(r'(?<!\n)\n(?!\n)|\n{3,}', a['body']):
                bad(where, f'{aid}: paragraphs must be separated by exactly one blank line')
            if aid.startswith('fx-') and not a['duplicate_of']:
                n_chars = len(a['title']) + len(a['body'].replace('\n', ''))
                if not 150 <= n_chars <= 520:
                    bad(where, f'{aid}: {n_chars} characters, expected about 150-500')
            articles[aid] = a
            order.append(aid)
    for aid in order:
        d = articles[aid]['duplicate_of']
        if not d:
            continue
        if d not in articles:
            bad(aid, f'duplicate_of {d} does not exist')
        elif order.index(d) > order.index(aid):
            bad(aid, f'duplicate_of {d} must come earlier in the file')
        elif articles[d]['duplicate_of']:
            bad(aid, f'duplicate_of {d}, which is itself a copy')
        elif articles[d]['published_at'] > articles[aid]['published_at']:
            bad(aid, f'copy published before its original {d}')

    queries = {}
    path = os.path.join(data, 'queries.tsv')
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip('\n')
                where = f'queries.tsv:{n}'
                cols = line.split('\t')
                if len(cols) != 4:
                    bad(where, f'{len(cols)} tab-separated columns, expected 4')
                    continue
                qid, kind, query, _ = cols
                if not re.match(r'^q\d{3}$', qid):
                    bad(where, f'qid {qid!r} is not qNNN')
                if qid in queries:
                    bad(where, f'qid {qid} repeated')
                if kind not in KINDS:
                    bad(where, f'kind {kind!r} not one of {", ".join(KINDS)}')
                if not query.strip():
                    bad(where, 'empty query')
                queries[qid] = kind

    judged = collections.defaultdict(dict)
    path = os.path.join(data, 'qrels.tsv')
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip('\n')
                where = f'qrels.tsv:{n}'
                cols = line.split('\t')
                if len(cols) != 3:
                    bad(where, f'{len(cols)} tab-separated columns, expected 3')
                    continue
                qid, aid, grade = cols
                if qid not in queries:
                    bad(where, f'qid {qid} not in queries.tsv')
                if aid.startswith('gen-'):
                    bad(where, f'{aid}: generated distractors are never judged relevant')
                elif aid not in articles:
                    bad(where, f'article {aid} not in articles.jsonl')
                if grade not in ('1', '2', '3'):
                    bad(where, f'grade {grade!r} must be 1, 2 or 3')
                if aid in judged[qid]:
                    bad(where, f'{qid} {aid} judged twice')
                judged[qid][aid] = grade
        for qid, kind in queries.items():
            if kind == 'no_answer' and judged.get(qid):
                bad(qid, 'kind no_answer but has judgments')
            if kind != 'no_answer' and not judged.get(qid):
                bad(qid, f'kind {kind} but no judgments')

    hant = sum(a['script'] == 'zh-Hant' for a in articles.values())
    dups = sum(bool(a['duplicate_of']) for a in articles.values())
    fx = sum(k.startswith('fx-') for k in articles)
    print(f'articles: {len(articles)} ({fx} fx, {len(articles) - fx} seed; '
          f'{hant} zh-Hant; {dups} near-duplicate copies)')
    if queries:
        kinds = collections.Counter(queries.values())
        print(f'queries: {len(queries)} (' +
              ', '.join(f'{k} {kinds[k]}' for k in KINDS if kinds[k]) + ')')
        grades = collections.Counter(g for q in judged.values() for g in q.values())
        print(f'qrels: {sum(grades.values())} (grade 3: {grades["3"]}, 2: {grades["2"]}, '
              f'1: {grades["1"]})')
    for p in problems:
        print('PROBLEM', p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
