"""The zh-Hans catalogue is complete, compiled, and covers every string in the code.

Three ways a translation goes missing in practice:

- an entry of the committed ``django.po`` is empty or still marked fuzzy;
- the ``django.mo`` the server loads was not recompiled after the ``.po`` changed;
- a developer wrapped a new string in ``gettext`` / ``{% trans %}`` but never ran
  ``scripts/translations.sh``, so the ``.po`` does not even know the string.

The ``.po`` is parsed here with a few lines of Python (no extra dependency).
Refresh the catalogue with ``scripts/translations.sh``.
"""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # src/itsm
LOCALE = "zh_Hans"
MESSAGES_DIR = PACKAGE_DIR / "locale" / LOCALE / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"

#: The exact options of scripts/translations.sh (keep them in step).
MAKEMESSAGES_IGNORE = ["*/tests/*", "conftest.py", "settings_test.py"]

HINT = "Run scripts/translations.sh, translate the new entries, and run it again."


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)  # index 0 for a singular msgstr
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"{PO_FILE.name}:{self.line}: {ctx}{self.msgid!r}"


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(text: str) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"not a PO string: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a PO file, the header (msgid "") included; obsolete ``#~`` ones left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    key: tuple[str, int] | None = None
    start = 0

    def finish() -> None:
        nonlocal current, flags, key
        if current is not None:
            entries.append(current)
        current, flags, key = None, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and key is not None and key[0] == "msgstr":
                finish()  # a comment after msgstr starts the next entry
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            start = start or number
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            word, index, value = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            if (
                word in ("msgctxt", "msgid")
                and current is not None
                and key is not None
                and (key[0] == "msgstr")
            ):
                finish()
            if current is None:
                current = Entry(msgid="", flags=flags, line=start or number)
            key = (word, index)
            if word == "msgctxt":
                current.msgctxt = value
            elif word == "msgid":
                current.msgid = value
            elif word == "msgid_plural":
                current.msgid_plural = value
            else:
                current.msgstrs[index] = value
            start = 0
            continue
        if line.startswith('"') and current is not None and key is not None:
            value = _unquote(line)
            word, index = key
            if word == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif word == "msgid":
                current.msgid += value
            elif word == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            else:
                current.msgstrs[index] += value
            continue
        raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def catalog_key(entry: Entry) -> str:
    return entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_FILE.is_file(), f"{PO_FILE} is missing. {HINT}"
    return parse_po(PO_FILE)


@pytest.fixture(scope="module")
def messages(entries) -> list[Entry]:
    return [e for e in entries if e.msgid != ""]


def test_header_declares_chinese_utf8_single_plural(entries):
    header = next((e for e in entries if e.msgid == "" and e.msgctxt is None), None)
    assert header is not None, "the .po has no header entry"
    text = header.msgstrs.get(0, "")
    assert "fuzzy" not in header.flags, "the .po header is still marked fuzzy"
    assert re.search(r"^Language: zh_Hans$", text, re.M), text
    assert re.search(r"^Content-Type: text/plain; charset=UTF-8$", text, re.M), text
    assert re.search(r"^Plural-Forms: nplurals=1; plural=0;$", text, re.M), text


def test_every_entry_is_translated_and_not_fuzzy(messages):
    assert messages, "the .po has no entries"
    fuzzy = [e.label for e in messages if "fuzzy" in e.flags]
    empty = [e.label for e in messages if not e.msgstrs or not all(e.msgstrs.values())]
    problems = [f"fuzzy: {x}" for x in fuzzy] + [f"untranslated: {x}" for x in empty]
    assert not problems, f"{len(problems)} entries need a translator:\n" + "\n".join(problems)


def test_plural_entries_have_the_single_chinese_form(messages):
    wrong = [e.label for e in messages if e.msgid_plural is not None and sorted(e.msgstrs) != [0]]
    assert not wrong, "zh has nplurals=1: give exactly msgstr[0]:\n" + "\n".join(wrong)


_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXoc%]|\{[^{}]*\}")


def test_translations_keep_every_placeholder(messages):
    """``%(name)s``, ``%(size).1f`` and ``{name}`` must survive translation unchanged."""
    wrong = []
    for e in messages:
        for index, text in e.msgstrs.items():
            source = e.msgid_plural if (index and e.msgid_plural) else e.msgid
            expected = sorted(_PLACEHOLDER.findall(source))
            if e.msgid_plural is not None and index == 0:
                # One Chinese form serves singular and plural: it may use either's set.
                options = [expected, sorted(_PLACEHOLDER.findall(e.msgid_plural))]
            else:
                options = [expected]
            if sorted(_PLACEHOLDER.findall(text)) not in options:
                wrong.append(f"{e.label} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def _expected_catalog(entries: list[Entry]) -> dict:
    catalog: dict = {}
    for e in entries:
        if "fuzzy" in e.flags and e.msgid != "":
            continue  # msgfmt leaves fuzzy entries out
        if e.msgid_plural is None:
            if e.msgstrs.get(0):
                catalog[catalog_key(e)] = e.msgstrs[0]
        else:
            for index, text in e.msgstrs.items():
                if text:
                    catalog[(catalog_key(e), index)] = text
    return catalog


def test_compiled_mo_matches_the_po(entries):
    """The .mo Django loads must hold exactly what the .po says (recompile after edits)."""
    assert MO_FILE.is_file(), f"{MO_FILE} is missing: run scripts/translations.sh"
    with MO_FILE.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)._catalog
    expected = _expected_catalog(entries)
    compiled_messages = {k: v for k, v in compiled.items() if k != ""}
    expected_messages = {k: v for k, v in expected.items() if k != ""}
    missing = sorted(str(k) for k in expected_messages.keys() - compiled_messages.keys())
    stale = sorted(str(k) for k in compiled_messages.keys() - expected_messages.keys())
    changed = sorted(
        str(k)
        for k in expected_messages.keys() & compiled_messages.keys()
        if expected_messages[k] != compiled_messages[k]
    )
    assert not (missing or stale or changed), (
        "django.mo is out of date with django.po; run scripts/translations.sh.\n"
        f"not compiled yet: {missing[:20]}\nno longer in the .po: {stale[:20]}\n"
        f"translation differs: {changed[:20]}"
    )


def test_django_serves_every_translation(messages):
    """Through LOCALE_PATHS, the running app answers each msgid with our msgstr."""
    wrong = []
    with translation.override("zh-hans"):
        for e in messages:
            if e.msgid_plural is None and e.msgctxt is None:
                got = translation.gettext(e.msgid)
            elif e.msgid_plural is None:
                got = translation.pgettext(e.msgctxt, e.msgid)
            elif e.msgctxt is None:
                got = translation.ngettext(e.msgid, e.msgid_plural, 1)
            else:
                got = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
            if got != e.msgstrs.get(0):
                wrong.append(f"{e.label}: served {got!r}, .po says {e.msgstrs.get(0)!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
    reason="GNU gettext tools (xgettext, msguniq, msgmerge) are not installed",
)
def test_every_string_in_the_code_is_in_the_po(tmp_path, monkeypatch, messages):
    """Run makemessages on a copy of the package: no msgid may be new to the committed .po."""
    copy = tmp_path / "itsm"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "node_modules"),
    )
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=[LOCALE],
        no_obsolete=True,
        ignore_patterns=MAKEMESSAGES_IGNORE,
        verbosity=0,
    )
    fresh = [
        e for e in parse_po(copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po") if e.msgid != ""
    ]
    committed = {(e.msgctxt, e.msgid, e.msgid_plural) for e in messages}
    new = sorted(
        {(e.msgctxt, e.msgid, e.msgid_plural) for e in fresh} - committed,
        key=lambda k: (k[0] or "", k[1]),
    )
    assert fresh, "makemessages found no strings at all: is the copy complete?"
    assert not new, (
        f"{len(new)} strings of the code are not in {PO_FILE.name}. {HINT}\n"
        + "\n".join(repr(m if c is None else (c, m)) for c, m, _ in new)
    )
