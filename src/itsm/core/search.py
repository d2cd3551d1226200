"""Keyword search over records: a jieba-segmented search text per record, indexed with
PostgreSQL full-text search (``simple`` configuration, GIN) or SQLite FTS5.

Chinese has no spaces between words, so ``LIKE '%宕机%'`` is the only way a plain index
could find a word, and it reads every row. Instead every record keeps ``search_text``:
its number, title and description cut into words by jieba (search mode: a long word also
yields its parts, 服务器 → 服务 服务器), lower-cased, separated by spaces. A query is cut the
same way and every word must occur. Both sides use one tokenizer, so a word missing from
the dictionary is split the same way in the text and in the query and is still found.

The tokenizer uses the most frequent words of jieba's own dictionary plus the service
management words in ``search_words.txt`` (宕机, 卡纸, 调休 …), built in memory on first
use: the full dictionary would add ~80 MB to every web process, this adds ~28 MB.

The indexes are not in ``Meta.indexes`` (a GIN expression index and an FTS5 table have
no common form); ``ensure_indexes`` creates whichever the database needs after every
``migrate`` and ``flush`` (``post_migrate``), so a table rebuilt by a later SQLite
migration gets its triggers back.
"""

from __future__ import annotations

import functools
import heapq
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from . import access

if TYPE_CHECKING:
    from django.db.models import Model

logger = logging.getLogger(__name__)

#: Words of jieba's dictionary kept, most frequent first (its full dictionary has 349k).
DICTIONARY_WORDS = 50_000
WORDS_FILE = Path(__file__).with_name("search_words.txt")
#: Runs of characters that can make up a word; everything else separates words.
WORD_RUN = re.compile(r"[\w\u3400-\u9fff\uf900-\ufaff]+")
#: A Chinese character (CJK unified ideographs, extension A, compatibility).
CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Longest query (characters) that is segmented; the rest is ignored.
MAX_QUERY = 200


@functools.lru_cache(maxsize=1)
def tokenizer():
    """jieba's tokenizer over the trimmed dictionary plus the service-management words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    source = Path(jieba.__file__).with_name("dict.txt")
    with source.open(encoding="utf-8") as lines:  # streamed: the whole file is not kept
        kept = heapq.nlargest(DICTIONARY_WORDS, (_entry(line) for line in lines))
    ours = [line.split()[0] for line in WORDS_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    common = kept[0][0] if kept else 1000
    text = "\n".join([f"{word} {freq}" for freq, word in kept]
                     + [f"{word} {common}" for word in ours])
    tok = jieba.Tokenizer(dictionary=None)
    tok.FREQ, tok.total = tok.gen_pfdict(io.BytesIO(text.encode("utf-8")))
    tok.initialized = True
    return tok


def _entry(line: str) -> tuple[int, str]:
    word, freq, *_tag = line.split()
    return int(freq), word


@functools.lru_cache(maxsize=50_000)
def _words_of_run(run: str) -> tuple[str, ...]:
    if run.isascii():
        return (run,)
    return tuple(w for w in tokenizer().cut_for_search(run, HMM=False) if w.strip())


def words(text: str | None) -> list[str]:
    """The distinct words of ``text`` (lower case, in order of first appearance)."""
    seen: dict[str, None] = {}
    for run in WORD_RUN.findall((text or "").lower()):
        for word in _words_of_run(run):
            seen.setdefault(word, None)
    return list(seen)


def search_text(*parts: Any) -> str:
    """The stored search text of a record made of ``parts`` (None and blanks skipped):
    its words, then each Chinese character on its own, so that a one-character query
    (卡) finds every text holding it (卡纸, 信用卡)."""
    text = " ".join(str(p) for p in parts if p)
    indexed = dict.fromkeys(words(text))
    for char in CJK_CHAR.findall(text):
        indexed.setdefault(char, None)
    return " ".join(indexed)


@dataclass(frozen=True)
class Query:
    """What a keyword query asks for: every word of ``terms`` (Latin words also as the
    start of a longer one: ``print`` finds Printer), and each Chinese run of several
    words in ``phrases`` as written, in that order (财务系统 is not 财务 … 系统 apart)."""

    terms: tuple[str, ...]
    phrases: tuple[str, ...]

    @staticmethod
    def prefix(term: str) -> bool:
        return term.isascii() and term.isalnum() and not term.isdigit()


def parse(query: str) -> Query:
    terms: dict[str, None] = {}
    phrases: dict[str, None] = {}
    for run in WORD_RUN.findall(query[:MAX_QUERY].lower()):
        cut = _words_of_run(run)
        terms.update(dict.fromkeys(cut))
        if len(cut) > 1 and not run.isascii():
            phrases.setdefault(run, None)
    return Query(tuple(terms), tuple(phrases))


def _tsquery(query: Query) -> str:
    """The PostgreSQL ``to_tsquery`` text: words are runs of word characters, which
    carry no operator of its syntax."""
    return " & ".join(f"{t}:*" if Query.prefix(t) else t for t in query.terms)


def _fts5(query: Query) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' + ("*" if Query.prefix(t) else "")
                        for t in query.terms)


#: The escape character of the LIKE patterns ``_like`` makes, as SQL.
ESCAPE = "'\\'"


def _like(phrase: str) -> str:
    return "%" + phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrases_sql(columns: list[str], parsed: Query, vendor: str) -> tuple[str, list]:
    """``AND (col LIKE %s OR …)`` for each phrase of the query, and its parameters."""
    like = "ILIKE" if vendor == "postgresql" else "LIKE"
    any_column = " OR ".join(f"{column} {like} %s ESCAPE {ESCAPE}" for column in columns)
    return ("".join(f" AND ({any_column})" for _ in parsed.phrases),
            [_like(p) for p in parsed.phrases for _ in columns])


def _text_sql(model: type[Model], parsed: Query, vendor: str) -> tuple[str, str, list]:
    """The FROM … and WHERE … of ``model``'s rows whose search text holds every word of
    the query (through the full-text index) and whose fields hold each of its phrases
    as written (checked on those rows only), with their parameters."""
    table = model._meta.db_table  # identifiers from model metadata, values as parameters
    written, phrases = _phrases_sql(
        [f'"{table}"."{model._meta.get_field(name).column}"' for name in model.search_fields],
        parsed, vendor)
    if vendor == "postgresql":
        return (f'"{table}"', f"{_pg_vector(table)} @@ to_tsquery('simple', %s){written}",
                [_tsquery(parsed), *phrases])
    return (f'"{table}" JOIN "{table}_fts" ON "{table}_fts".rowid = "{table}".id',
            f'"{table}_fts" MATCH %s{written}', [_fts5(parsed), *phrases])


def _text_ids(model: type[Model], parsed: Query, vendor: str) -> tuple[str, list]:
    """SQL selecting the ids of the rows ``_text_sql`` describes."""
    source, where, params = _text_sql(model, parsed, vendor)
    return (f'SELECT "{model._meta.db_table}".id FROM {source} WHERE {where}',  # noqa: S608 # nosec B608
            params)


def _comment_ids(model: type[Model], parsed: Query, vendor: str, using: str, *,
                 internal: bool) -> tuple[str, list]:
    """SQL selecting the ids of ``model``'s records with a comment holding every word
    and phrase of the query (internal notes only with ``internal``)."""
    content_type = ContentType.objects.db_manager(using).get_for_model(model).pk
    hidden = "" if internal else " AND NOT c.internal"
    written, phrases = _phrases_sql(["c.body"], parsed, vendor)
    if vendor == "postgresql":
        return ("SELECT c.object_id FROM core_comment c WHERE c.content_type_id = %s"  # noqa: S608 # nosec B608
                f" AND {_pg_vector('c')} @@ to_tsquery('simple', %s){hidden}{written}",
                [content_type, _tsquery(parsed), *phrases])
    return ("SELECT c.object_id FROM core_comment c JOIN core_comment_fts"  # noqa: S608 # nosec B608
            " ON core_comment_fts.rowid = c.id WHERE core_comment_fts MATCH %s"
            f" AND c.content_type_id = %s{hidden}{written}",
            [_fts5(parsed), content_type, *phrases])


def record_condition(model: type[Model], query: str, using: str = "default", *,
                     user=None) -> Q:
    """The records a keyword ``query`` finds: the one numbered so, or those containing
    every word of it (each phrase as written); for a ``user``, also those with a comment
    holding them that the user may read (internal notes: provider staff only). One
    definition for a record list's ``q`` and the global search, so a count shown by one
    is what the other lists.

    Each part can be answered by an index — the number's unique index, the records' and
    the comments' full-text indexes — so PostgreSQL combines them (a BitmapOr) to count
    or sort the matches, or walks a list's sort index and stops at a page; the comments'
    ids come as ``id = ANY(ARRAY(…))``, which an index can answer, where ``id IN
    (subquery)`` cannot. SQLite looks each part up in its FTS5 tables."""
    query = query.strip()
    vendor = connections[using].vendor
    parsed = parse(query)
    condition = Q(number=query.upper())
    if vendor not in ("postgresql", "sqlite"):
        for term in parsed.terms or ():
            condition |= Q(search_text__icontains=term)
        return condition
    if not parsed.terms:
        return condition
    if vendor == "postgresql":
        _source, where, params = _text_sql(model, parsed, vendor)
        condition |= Q(RawSQL(where, params, output_field=BooleanField()))  # noqa: S611 # nosec B611
    else:
        condition |= Q(pk__in=RawSQL(*_text_ids(model, parsed, vendor)))  # noqa: S611 # nosec B611
    if user is not None:
        sql, params = _comment_ids(model, parsed, vendor, using,
                                   internal=access.is_provider_staff(user))
        if vendor == "postgresql":
            table = model._meta.db_table
            condition |= Q(RawSQL(f'"{table}".id = ANY(ARRAY({sql}))', params,  # noqa: S611 # nosec B611
                                  output_field=BooleanField()))
        else:
            condition |= Q(pk__in=RawSQL(sql, params))  # noqa: S611 # nosec B611 - fixed SQL
    return condition


#: Matches of a keyword query that PostgreSQL fetches by id before a list sorts them.
FEW = 1000


def matching(queryset: QuerySet, query: str, *, user=None) -> tuple[QuerySet, int | None]:
    """``queryset`` narrowed to the records ``query`` finds (:func:`record_condition`),
    and how many they are, up to ``FEW + 1`` (more); None where not counted (SQLite).

    On PostgreSQL the matches are first looked up without an order (the full-text
    index, one query) and, when few, the list sorts just them by id. PostgreSQL
    estimates a rare or absent word far too high (1,913 of a million rows for a word
    that is nowhere), so with ``ORDER BY created_at LIMIT 25`` it walked the creation
    index testing every row: 64 s for "print" over a million tickets. When there are
    more than :data:`FEW`, walking that index finds a page quickly."""
    found = queryset.filter(record_condition(queryset.model, query, queryset.db, user=user))
    if connections[queryset.db].vendor != "postgresql":
        return found, None
    ids = list(found.order_by().values_list("pk", flat=True)[:FEW + 1])
    return (found if len(ids) > FEW else queryset.filter(pk__in=ids)), len(ids)


def _pg_vector(table: str) -> str:
    column = f'"{table}"."search_text"' if table != "c" else "c.search_text"
    return f"""to_tsvector('simple'::regconfig, COALESCE({column}, ''))"""


# --- Indexes ----------------------------------------------------------------------------------


def searchable_models() -> list[type[Model]]:
    """Every model with a search text (the records), proxies left out."""
    return [m for m in apps.get_models() if not m._meta.proxy
            and any(f.name == "search_text" for f in m._meta.concrete_fields)]


def ensure_indexes(using: str = "default", models: list[type[Model]] | None = None) -> list[str]:
    """Create the search index of every record table that lacks it; the tables done."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    done = []
    with connection.cursor() as cursor:
        for model in models or searchable_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(f'CREATE INDEX IF NOT EXISTS "{table}_search" ON "{table}" '
                               f"USING gin ({_pg_vector(table)})")
                done.append(table)
            elif connection.vendor == "sqlite" and _ensure_fts5(cursor, table, tables):
                done.append(table)
    return done


def _ensure_fts5(cursor, table: str, tables: set[str]) -> bool:
    # All identifiers below come from model metadata; nothing from input.
    fts = f"{table}_fts"
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                   [table])
    triggers = {row[0] for row in cursor.fetchall()}
    wanted = {f"{fts}_insert", f"{fts}_delete", f"{fts}_update"}
    if fts in tables and wanted <= triggers:
        return False
    cursor.execute(f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5('
                   f'search_text, content="{table}", content_rowid="id")')
    remove = f"""INSERT INTO "{fts}"("{fts}", rowid, search_text)
                 VALUES ('delete', old.id, old.search_text);"""  # noqa: S608
    add = f'INSERT INTO "{fts}"(rowid, search_text) VALUES (new.id, new.search_text);'  # noqa: S608
    for name, event, body in ((f"{fts}_insert", "AFTER INSERT", add),
                              (f"{fts}_delete", "AFTER DELETE", remove),
                              (f"{fts}_update", "AFTER UPDATE OF search_text", remove + add)):
        cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        cursor.execute(f'CREATE TRIGGER "{name}" {event} ON "{table}" BEGIN {body} END')
    cursor.execute(f"""INSERT INTO "{fts}"("{fts}") VALUES ('rebuild')""")  # noqa: S608 # nosec B608
    return True


def ensure_indexes_after_migrate(sender, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: the search indexes of the migrated app's records."""
    models = [m for m in searchable_models() if m._meta.app_label == sender.label]
    if models:
        ensure_indexes(using, models)


def rewrite(manager, fields: tuple[str, ...], *, batch: int = 2000) -> int:
    """Recompute ``search_text`` of every row of ``manager`` from ``fields``, in batches
    by id; only changed rows are written. The rows changed."""
    changed = last = 0
    while rows := list(manager.filter(pk__gt=last).order_by("pk")[:batch]):
        stale = []
        for row in rows:
            text = search_text(*(getattr(row, f) for f in fields))
            if text != row.search_text:
                row.search_text = text
                stale.append(row)
        if stale:
            manager.bulk_update(stale, ["search_text"])
        changed += len(stale)
        last = rows[-1].pk
    return changed


def backfill(app_label: str, model_name: str, fields: tuple[str, ...]):
    """A migration operation filling ``search_text`` of existing rows (historical models
    have no ``search_fields``: the fields are named)."""
    from django.db import migrations

    def forwards(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        rewrite(model._base_manager.using(schema_editor.connection.alias), fields)

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)


def refresh(model: type[Model], *, batch: int = 2000, using: str = "default") -> int:
    """Recompute the stored search text of every row of ``model`` (after a change of how
    it is made); the rows changed."""
    return rewrite(model._base_manager.using(using), model.search_fields, batch=batch)
