"""Keeping the translation catalogs in step with the code (manage.py i18n-extract, tests).

Strings are found where the code marks them: `_("...")` and `N_("...")`."""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = LOCALE_DIR.parent
SOURCES = ("app.py", "core", "ui", "pages", "db")
KEYWORDS = {"_": None, "N_": None}


def extract() -> Catalog:
    catalog = Catalog(project="CareDesk", charset="utf-8")
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            found = _extract_file(path)
        else:
            found = ((str(path.relative_to(ROOT) / f), lineno, msg, comments)
                     for f, lineno, msg, comments, _ctx in extract_from_dir(
                         path, method_map=[("**.py", "python")], keywords=KEYWORDS))
        for filename, lineno, message, comments in found:
            if isinstance(message, str) and message:
                catalog.add(message, locations=[(filename, lineno)], auto_comments=comments)
    return catalog


def _extract_file(path: Path):
    from babel.messages.extract import extract
    with path.open("rb") as fh:
        for lineno, message, comments, _ctx in extract("python", fh, keywords=KEYWORDS):
            yield path.name, lineno, message, comments


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def update_catalogs() -> dict[str, int]:
    """Adds new strings (untranslated) and marks vanished ones obsolete; returns how many
    strings still lack a translation per language."""
    template = extract()
    missing = {}
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = load(language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)
        missing[language] = sum(1 for m in catalog if m.id and not m.string)
    return missing
