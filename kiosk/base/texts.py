"""Translated text for what the core produces itself (printed slips), without Flask.

The screens translate through Flask-Babel; paper is composed in the core, so
it reads the same catalogs (kiosk/translations) through Babel directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from babel.support import NullTranslations, Translations

CATALOGS = Path(__file__).resolve().parent.parent / "translations"
#: Fonts shipped with the package (scripts/make-fonts.py): screens and raster slips use them.
BUNDLED_FONTS = Path(__file__).resolve().parent.parent / "fonts"


@lru_cache(maxsize=8)
def _catalog(lang: str) -> NullTranslations:
    if lang == "zh":
        return NullTranslations()   # the source language
    return Translations.load(str(CATALOGS), [lang])


def translator(lang: str) -> Callable[..., str]:
    """A gettext for `lang` that also formats: t("前面还有%(n)d人", n=3)."""
    catalog = _catalog(lang)

    def translate(message: str, **values: object) -> str:
        text = catalog.gettext(message)
        return text % values if values else text

    return translate


def listing(items: list[str], lang: str) -> str:
    """Items in a row as the language writes a list: 甲、乙 · A, B · ཀ། ཁ། (a Tibetan item keeps its own shad)."""
    items = [str(item).strip() for item in items if str(item).strip()]
    if lang == "zh":
        return "、".join(items)
    if lang == "bo":
        return " ".join(item if item.endswith("།") else item + "།" for item in items)
    return ", ".join(items)
