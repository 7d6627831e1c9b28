"""Search that finds Chinese substrings: overlapping two-character tokens in a full-text index.

A Chinese word is usually two characters (垃圾, 社保), which a trigram index cannot look up (SQLite's FTS5
trigram tokenizer scans for queries under three characters). So each article's text is also kept as
tokens — every pair of neighbouring CJK characters, the last character of each CJK run, and whole
words of other scripts — indexed by FTS5 on SQLite (kept in step by triggers) and by a GIN index on
``to_tsvector('simple', …)`` on PostgreSQL. A query becomes the AND of its own tokens (a lone character
or a Latin word as a prefix), and the plain text (stored lowercased) is checked for the exact substring, so results are
exact and the index does the finding.
"""

from __future__ import annotations

import re

from piccolo.columns.combination import WhereRaw
from piccolo.engine import engine_finder

_CJK_RANGES = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUN = re.compile(f"[{_CJK_RANGES}]+|[^\\W_{_CJK_RANGES}]+", re.UNICODE)
_CJK = re.compile(f"[{_CJK_RANGES}]")
MAX_QUERY = 50
MAX_TERMS = 12


def tokens(text: str) -> str:
    """The index tokens of a text, space-separated."""
    out: list[str] = []
    for run in _RUN.findall(text.lower()):
        if _CJK.match(run):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
            out.append(run[-1])
        else:
            out.append(run)
    return " ".join(out)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """(term, is_prefix) pairs that every matching text's tokens contain."""
    terms: list[tuple[str, bool]] = []
    for run in _RUN.findall(query.lower()):
        if _CJK.match(run) and len(run) > 1:
            terms.extend((run[i : i + 2], False) for i in range(len(run) - 1))
        else:
            terms.append((run, True))
    unique = list(dict.fromkeys(terms))
    # A lone Latin letter or digit next to other terms adds a wide prefix scan and little meaning.
    meaningful = [t for t in unique if not (t[1] and len(t[0]) == 1 and not _CJK.match(t[0]))] or unique[:1]
    return meaningful[:MAX_TERMS]


def _fts5(terms: list[tuple[str, bool]]) -> str:
    return " AND ".join(f'"{t}"' + ("*" if prefix else "") for t, prefix in terms)


def _tsquery(terms: list[tuple[str, bool]]) -> str:
    return " & ".join("'" + t.replace("'", "") + "'" + (":*" if prefix else "") for t, prefix in terms)


def is_postgres() -> bool:
    """Whether the active engine is PostgreSQL."""
    return engine_finder().engine_type == "postgres"


def match_clause(query: str) -> WhereRaw | None:
    """A where clause on Article for the query, or None when it holds no searchable characters."""
    query = query.strip()[:MAX_QUERY]
    terms = query_terms(query)
    if not terms:
        return None
    if is_postgres():
        return WhereRaw(
            "to_tsvector('simple', content_article.search_tokens) @@ to_tsquery('simple', {})"
            " AND strpos(content_article.search_text, {}) > 0",
            _tsquery(terms),
            query.lower(),
        )
    return WhereRaw(
        "content_article.id IN (SELECT rowid FROM content_search WHERE content_search MATCH {})"
        " AND instr(content_article.search_text, {}) > 0",
        _fts5(terms),
        query.lower(),
    )


_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS content_search USING fts5("
    "search_tokens, content='content_article', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS content_search_ai AFTER INSERT ON content_article BEGIN "
    "INSERT INTO content_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS content_search_ad AFTER DELETE ON content_article BEGIN "
    "INSERT INTO content_search(content_search, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS content_search_au AFTER UPDATE OF search_tokens ON content_article BEGIN "
    "INSERT INTO content_search(content_search, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO content_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
]
_POSTGRES = [
    "CREATE INDEX IF NOT EXISTS content_article_search_idx ON content_article "
    "USING gin (to_tsvector('simple', search_tokens))",
]


async def create_search_index() -> None:
    """Migration step: the FTS5 table and its triggers on SQLite, the GIN index on PostgreSQL."""
    engine = engine_finder()
    for statement in _POSTGRES if engine.engine_type == "postgres" else _SQLITE:
        await engine.run_ddl(statement)
