#!/usr/bin/python3
"""Ranked runs of the peer engines on the relevance collection.

  peer_runs.py ENGINE --articles A.jsonl [--distractors D.jsonl]
               --queries queries.tsv --out run.tsv [--work DIR]

ENGINE is `fts5` (SQLite FTS5, trigram tokenizer, python3's sqlite3) or
`groonga` (Groonga, TokenBigram + NormalizerAuto, the `groonga` command in
batch mode), configured as in ../shared/peers (title weighted over body).
Writes qid<TAB>rank<TAB>article_id, top 100, for newsearch-relevance
--peer_run. Distractor ids get the prefix `gen-` as in the C++ harness.

The queries use newsearch's syntax (words ANDed, OR, AND, NOT, -word,
parentheses, "phrases", title:/source:/author:), translated into each
engine's own: every word is matched as a substring (the peers' n-gram
semantics), operators map to the engine's operators. Neither engine folds
traditional and simplified Chinese.
FTS5's trigram index cannot answer strings of 1-2 characters; such atoms
become LIKE filters and the ranking (bm25) comes from the atoms it can
match; a query with none of those is in table order.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

DEPTH = 100
FIELDS = {"title": "title", "标题": "title", "source": "source", "来源": "source",
          "author": "authors", "作者": "authors"}


# ---------------------------------------------------------------- corpus

def read_articles(path, prefix=""):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            a = json.loads(line)
            authors = a.get("authors") or ([a["author"]] if a.get("author") else [])
            out.append({"id": prefix + a["id"], "title": a.get("title", ""),
                        "body": a.get("body", ""), "source": a.get("source", ""),
                        "authors": " ".join(authors)})
    return out


def fnv1a(text):
    h = 1469598103934665603
    for c in text.encode("utf-8"):
        h ^= c
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def shuffle(articles):
    """The order of the C++ harness (ShuffleDeterministically): by FNV-1a of
    the id, so ties broken by insertion order favour no source."""
    return sorted(articles, key=lambda a: (fnv1a(a["id"]), a["id"]))


def read_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) >= 3 and cols[0] != "qid":
                out.append((cols[0], cols[2]))
    return out


# ---------------------------------------------------------------- query syntax

QUOTES = {'"': '"', "\u201c": "\u201d", "\u300c": "\u300d", "\u300e": "\u300f"}


def tokenize(q):
    toks = []
    i = 0
    n = len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append((c, None))
            i += 1
        elif c == "|":
            toks.append(("OR", None))
            i += 1
        elif c in QUOTES:
            j = q.find(QUOTES[c], i + 1)
            j = n if j < 0 else j
            toks.append(("PHRASE", q[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()|"\u201c\u300c\u300e':
                j += 1
            word = q[i:j]
            i = j
            m = re.match(r"^(title|source|author|标题|来源|作者)[:：]", word)
            if word in ("OR", "AND", "NOT"):
                toks.append((word, None))
            elif m:
                toks.append(("FIELD", FIELDS[m.group(1)]))
                if len(word) > len(m.group(0)):
                    i -= len(word) - len(m.group(0))
            elif word.startswith("-") and len(word) > 1:
                toks.append(("NOT", None))
                i -= len(word) - 1
            elif word.startswith("+") and len(word) > 1:
                i -= len(word) - 1
            else:
                toks.append(("TERM", word))
    return toks


def parse(q):
    """Tree: ("atom", text, field) | ("and"|"or", [children]) | ("not", child)."""
    toks = tokenize(q)
    pos = [0]

    def peek():
        return toks[pos[0]][0] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def or_expr(field):
        parts = [and_expr(field)]
        while peek() == "OR":
            take()
            parts.append(and_expr(field))
        parts = [p for p in parts if p]
        return parts[0] if len(parts) == 1 else ("or", parts) if parts else None

    def and_expr(field):
        parts = []
        while peek() not in (None, "OR", ")"):
            if peek() == "AND":
                take()
                continue
            parts.append(unary(field))
        parts = [p for p in parts if p]
        return parts[0] if len(parts) == 1 else ("and", parts) if parts else None

    def unary(field):
        if peek() == "NOT":
            take()
            child = unary(field)
            return ("not", child) if child else None
        return primary(field)

    def primary(field):
        kind, value = take()
        if kind == "FIELD":
            return primary(value) if peek() not in (None, ")") else None
        if kind == "(":
            inner = or_expr(field)
            if peek() == ")":
                take()
            return inner
        if kind in ("TERM", "PHRASE"):
            text = value.strip()
            return ("atom", text, field) if re.search(r"\w", text) else None
        return None

    tree = or_expr(None)
    return tree


def positive_atoms(node, negated=False):
    if node is None:
        return []
    if node[0] == "atom":
        return [] if negated else [node]
    if node[0] == "not":
        return positive_atoms(node[1], not negated)
    return [a for c in node[1] for a in positive_atoms(c, negated)]


# ---------------------------------------------------------------- FTS5

def fts5_string(text):
    return '"' + text.replace('"', '""') + '"'


def fts5_atom_match(atom):
    _, text, field = atom
    s = fts5_string(text)
    return f"{field} : {s}" if field else "{title body} : " + s


def fts5_where(node, params, alias):
    """SQL condition on the table aliased `alias` for the query tree."""
    kind = node[0]
    if kind == "atom":
        _, text, field = node
        cols = [field] if field else ["title", "body"]
        if len(text) >= 3:
            params.append(fts5_atom_match(node))
            return f"{alias}.rowid IN (SELECT rowid FROM docs WHERE docs MATCH ?)"
        ors = []
        for c in cols:
            ors.append(f"{alias}.{c} LIKE ?")
            params.append("%" + text + "%")
        return "(" + " OR ".join(ors) + ")"
    if kind == "not":
        return "NOT " + fts5_where(node[1], params, alias)
    glue = " AND " if kind == "and" else " OR "
    return "(" + glue.join(fts5_where(c, params, alias) for c in node[1]) + ")"


def run_fts5(articles, queries, work):
    db = os.path.join(work, "fts5.db")
    if os.path.exists(db):
        os.unlink(db)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, source, authors, "
                "id UNINDEXED, tokenize='trigram')")
    con.executemany("INSERT INTO docs(title, body, source, authors, id) VALUES (?,?,?,?,?)",
                    [(a["title"], a["body"], a["source"], a["authors"], a["id"]) for a in articles])
    con.commit()
    run = {}
    for qid, text in queries:
        tree = parse(text)
        if tree is None:
            run[qid] = []
            continue
        params = []
        where = fts5_where(tree, params, "d")
        rankable = [a for a in positive_atoms(tree) if len(a[1]) >= 3]
        try:
            if rankable:
                # bm25 with the title weighted 2x, over the atoms FTS5 can match.
                rank_expr = " OR ".join(fts5_atom_match(a) for a in rankable)
                sql = ("SELECT d.id FROM docs d LEFT JOIN (SELECT rowid AS r, "
                       "bm25(docs, 2.0, 1.0, 1.0, 1.0) AS score FROM docs WHERE docs MATCH ?) s "
                       f"ON s.r = d.rowid WHERE {where} ORDER BY s.score IS NULL, s.score, d.rowid "
                       f"LIMIT {DEPTH}")
                rows = con.execute(sql, [rank_expr] + params).fetchall()
            else:
                rows = con.execute(f"SELECT d.id FROM docs d WHERE {where} ORDER BY d.rowid "
                                   f"LIMIT {DEPTH}", params).fetchall()
            run[qid] = [r[0] for r in rows]
        except sqlite3.Error as e:
            print(f"fts5: query {qid} ({text}): {e}", file=sys.stderr)
            run[qid] = []
    con.close()
    return run


# ---------------------------------------------------------------- Groonga

def groonga_quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def groonga_query(node):
    kind = node[0]
    if kind == "atom":
        _, text, field = node
        phrase = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{field}:@{phrase}" if field else phrase
    if kind == "not":
        return None  # handled by the parent (Groonga's `-` is binary)
    if kind == "or":
        parts = [groonga_query(c) for c in node[1]]
        parts = [p for p in parts if p]
        return "(" + " OR ".join(parts) + ")" if parts else None
    positives = [groonga_query(c) for c in node[1] if c[0] != "not"]
    positives = [p for p in positives if p]
    negatives = [groonga_query(c[1]) for c in node[1] if c[0] == "not"]
    if not positives:
        return None
    out = "(" + " ".join(positives)
    for neg in negatives:
        if neg:
            out += " - " + neg
    return out + ")"


def run_groonga(articles, queries, work):
    if shutil.which("groonga") is None:
        sys.exit("groonga is not installed (Debian: apt-get install groonga-bin)")
    dbdir = os.path.join(work, "groonga")
    shutil.rmtree(dbdir, ignore_errors=True)
    os.makedirs(dbdir)
    commands = [
        "table_create Articles TABLE_HASH_KEY ShortText",
        "column_create Articles title COLUMN_SCALAR ShortText",
        "column_create Articles body COLUMN_SCALAR Text",
        "column_create Articles source COLUMN_SCALAR ShortText",
        "column_create Articles authors COLUMN_SCALAR ShortText",
        "load --table Articles",
        json.dumps([{"_key": a["id"], "title": a["title"][:4000], "body": a["body"],
                     "source": a["source"], "authors": a["authors"]} for a in articles],
                   ensure_ascii=False),
        "table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenBigram "
        "--normalizer NormalizerAuto",
        "column_create Terms idx COLUMN_INDEX|WITH_POSITION|WITH_SECTION Articles "
        "title,body,source,authors",
    ]
    qids = []
    for qid, text in queries:
        tree = parse(text)
        q = groonga_query(tree) if tree else None
        if q is None:
            continue
        qids.append(qid)
        commands.append("select Articles --match_columns 'title*2||body||source||authors' "
                        f"--query {groonga_quote(q)} --output_columns _key "
                        f"--sort_keys -_score,_id --limit {DEPTH}")
    proc = subprocess.run(["groonga", "-n", os.path.join(dbdir, "db")],
                          input="\n".join(commands) + "\n", capture_output=True, text=True,
                          check=False)
    responses = [l for l in proc.stdout.splitlines() if l.startswith("[[")]
    selects = responses[len(responses) - len(qids):]
    run = {qid: [] for qid, _ in queries}
    for qid, line in zip(qids, selects):
        r = json.loads(line)
        if r[0][0] != 0:
            print(f"groonga: query {qid}: {r[0]}", file=sys.stderr)
            continue
        rows = r[1][0][2:]
        run[qid] = [row[0] for row in rows]
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("engine", choices=["fts5", "groonga"])
    ap.add_argument("--articles", required=True)
    ap.add_argument("--distractors")
    ap.add_argument("--queries", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work")
    args = ap.parse_args()
    articles = read_articles(args.articles)
    if args.distractors:
        articles += read_articles(args.distractors, prefix="gen-")
    articles = shuffle(articles)
    queries = read_queries(args.queries)
    work = args.work or tempfile.mkdtemp(prefix="newsearch-peer-")
    try:
        run = (run_fts5 if args.engine == "fts5" else run_groonga)(articles, queries, work)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for qid, _ in queries:
            for i, doc in enumerate(run.get(qid, [])):
                f.write(f"{qid}\t{i + 1}\t{doc}\n")


if __name__ == "__main__":
    main()
