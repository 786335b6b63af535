"""The German catalogue is complete: every string in the source has a translation that keeps
its placeholders. Extraction mirrors `make messages` (babel.cfg, `-k _l -k lazy_gettext`), so a
string added without running `make messages` and translating it fails here by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
GERMAN_PO = ROOT / "qcrm" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
# The same keywords as the Makefile's `messages` target.
EXTRA_KEYWORDS = ["_l", "lazy_gettext"]

# A printf-style named placeholder such as %(name)s or %(n)d.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
FIX_HINT = "Run `make messages` and translate them in " + str(GERMAN_PO.relative_to(ROOT))


def _label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    context = f" [{message.context}]" if message.context else ""
    return f"{msgid!r}{context}" + (f" ({where})" if where else "")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, tuple | list) else [value]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The strings in the source tree, extracted into a temporary .pot like `pybabel extract`."""
    with MAPPING.open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(MAPPING))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    catalog = Catalog(fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pot.open("wb") as fileobj:
        write_po(fileobj, catalog)
    with pot.open("rb") as fileobj:
        return read_po(fileobj)


@pytest.fixture(scope="module")
def german() -> Catalog:
    with GERMAN_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="de")


def test_german_catalogue_header(german: Catalog) -> None:
    assert str(german.locale) == "de"
    assert german.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not german.fuzzy, "pybabel compile skips a catalogue whose header is fuzzy"


def test_every_source_string_is_translated(template: Catalog, german: Catalog) -> None:
    assert len(template) > 0, "extraction found no strings; is babel.cfg still at the root?"
    problems: list[str] = []
    for source in template:
        if not source.id:
            continue
        entry = german.get(source.id, source.context)
        if entry is None:
            problems.append(f"missing: {_label(source)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {_label(source)}")
        elif source.pluralizable != entry.pluralizable:
            problems.append(f"singular/plural differs from the source: {_label(source)}")
        else:
            forms = _forms(entry.string)
            expected = german.num_plurals if source.pluralizable else 1
            if len(forms) != expected or not all(form.strip() for form in forms):
                problems.append(f"untranslated: {_label(source)}")
    assert not problems, (
        f"{len(problems)} German translation(s) missing or unusable. {FIX_HINT}:\n"
        + "\n".join(problems)
    )


def test_translations_keep_placeholders(german: Catalog) -> None:
    problems: list[str] = []
    for entry in german:
        if not entry.id:
            continue
        expected = set().union(*(PLACEHOLDER.findall(text) for text in _forms(entry.id)))
        lone_percent_in_source = any(_has_lone_percent(text) for text in _forms(entry.id))
        for form in _forms(entry.string):
            if not form:
                continue  # reported by the completeness test
            found = set(PLACEHOLDER.findall(form))
            if found != expected:
                problems.append(
                    f"{_label(entry)}: expected {sorted(expected)}, found {sorted(found)}"
                )
            elif _has_lone_percent(form) and not lone_percent_in_source:
                problems.append(
                    f"{_label(entry)}: a lone % in {form!r} that the source does not have"
                    " (formatted strings need %% for a percent sign)"
                )
    assert not problems, "German translations with broken placeholders:\n" + "\n".join(problems)


def _has_lone_percent(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text).replace("%%", "")
