"""Every message on screen is translated into Tibetan and English, and the compiled catalogs are current."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import ROOT

#: each catalog: (its folder, the babel config that extracts its messages)
CATALOGS = {"kiosk": (ROOT / "kiosk" / "translations", "babel.cfg"),
            "district": (ROOT / "district" / "translations", "district/babel.cfg")}
LANGS = [("kiosk", "bo"), ("kiosk", "en"), ("district", "en")]
_extracted: dict[str, set[str]] = {}


def source_messages(tmp_path_factory, name: str) -> set[str]:
    if name not in _extracted:
        pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", CATALOGS[name][1], "-k",
                        "_l", "-o", str(pot), "--no-location", "."], cwd=ROOT, check=True, capture_output=True)
        with open(pot, "rb") as f:
            _extracted[name] = {m.id for m in read_po(f) if m.id}
    return _extracted[name]


@pytest.mark.parametrize(("name", "lang"), LANGS)
def test_catalog_translates_every_message_and_nothing_is_fuzzy(tmp_path_factory, name, lang):
    source = source_messages(tmp_path_factory, name)
    with open(CATALOGS[name][0] / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(source - set(translated))
    assert not missing, f"{name} {lang}: not in the catalog (run `make i18n`): {missing}"
    empty = sorted(k for k in source if not translated[k])
    assert not empty, f"{lang}: untranslated: {empty}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy}"


@pytest.mark.parametrize(("name", "lang"), LANGS)
def test_compiled_catalog_matches_its_source(name, lang):
    folder = CATALOGS[name][0] / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with open(folder / "messages.mo", "rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po, f"{lang}: messages.mo is stale: run `make i18n`"


CHINESE_PUNCTUATION = "、：，。（）！？；「」【】《》"


@pytest.mark.parametrize(("name", "lang"), LANGS)
def test_translations_use_their_own_punctuation_and_digits(name, lang):
    """English and Tibetan read no Chinese 、：（）「」; Tibetan keeps the Arabic digits of keypads, tickets and
    paper (mixing in ༡༢༣ would give one screen two ways of writing a number)."""
    with open(CATALOGS[name][0] / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    chinese = sorted(m.id for m in catalog if m.id and any(c in m.string for c in CHINESE_PUNCTUATION))
    assert not chinese, f"{lang}: Chinese punctuation in the translations of {chinese}"
    tibetan_digits = sorted(m.id for m in catalog if m.id and any("\u0f20" <= c <= "\u0f29" for c in m.string))
    assert not tibetan_digits, f"{lang}: Tibetan digits in the translations of {tibetan_digits}"
