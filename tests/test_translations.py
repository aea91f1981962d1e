"""Every message on screen is translated into Tibetan and English, and the compiled catalogs are current."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import ROOT

CATALOGS = ROOT / "kiosk" / "translations"


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "--no-location", "."], cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["bo", "en"])
def test_catalog_translates_every_message_and_nothing_is_fuzzy(source_messages, lang):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(source_messages - set(translated))
    assert not missing, f"{lang}: not in the catalog (run `make i18n`): {missing}"
    empty = sorted(k for k in source_messages if not translated[k])
    assert not empty, f"{lang}: untranslated: {empty}"
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("lang", ["bo", "en"])
def test_compiled_catalog_matches_its_source(lang):
    folder = CATALOGS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id and m.string}
    with open(folder / "messages.mo", "rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po, f"{lang}: messages.mo is stale: run `make i18n`"
