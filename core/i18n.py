"""Translation layer: gettext catalogs under locale/, English and Simplified Chinese.

Catalogs are the .po files themselves (compiled in memory on first use), so there is no
build step and no binary file to keep in step with its source.
Extract / update: `python manage.py i18n-extract` (see README).
"""
from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "zh_CN")
DEFAULT_LANGUAGE = "en"

Gettext = Callable[[str], str]


class Term(str):
    """A msgid passed as an error's parameter: translated along with the message."""


def N_(message: str) -> str:
    """Marks a string for extraction; translated later, where the user's language is known."""
    return message


@lru_cache(maxsize=None)
def _catalog(language: str) -> _gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def translator(language: str | None) -> Gettext:
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return _catalog(lang).gettext


def say(language: str | None, msgid: str, **values: object) -> str:
    """A text stored as written (a timeline entry), in the writer's language; Term values are
    translated too."""
    _ = translator(language)
    return _(msgid).format(**{k: _(v) if isinstance(v, Term) else v for k, v in values.items()})


def language_name(language: str) -> str:
    # Each language is named in itself, so a user can find theirs whatever is shown now.
    return {"en": "English", "zh_CN": "简体中文"}.get(language, language)
