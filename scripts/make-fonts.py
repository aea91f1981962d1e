"""Build the fonts the kiosk bundles, so screens and printed slips never depend on the Pi's fonts.

Chinese: Noto Sans CJK SC (Regular, Bold) cut down to GB 2312 — the 6,763
characters of everyday Simplified Chinese plus its symbols — and every
character our catalogs and demo use. Tibetan: Noto Serif Tibetan (Medium as
the regular weight, SemiBold as bold), whole. Both SIL OFL 1.1.

Run on Debian with fonts-noto-cjk and fonts-noto-extra installed, and
`pip install fonttools` (a tool of this script only, not of the kiosk):

    python scripts/make-fonts.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kiosk" / "fonts"
CJK = Path("/usr/share/fonts/opentype/noto")
TIBETAN = Path("/usr/share/fonts/truetype/noto")
SC_INDEX = 2          # Noto Sans CJK .ttc order: JP, KR, SC, TC, HK, (mono …)
SOURCES = ("kiosk/translations", "kiosk/web/templates", "kiosk/demo", "kiosk")


def gb2312() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def used_here() -> set[str]:
    """Characters in our own catalogs, templates and demo data (names of goods, staff…)."""
    chars: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".po", ".html", ".toml", ".py", ".csv", ".svg"} and path.is_file():
                chars |= set(path.read_text(encoding="utf-8", errors="ignore"))
    return chars


def subset_cjk(weight: str, chars: set[str]) -> Path:
    collection = TTCollection(str(CJK / f"NotoSansCJK-{weight}.ttc"))
    font = collection.fonts[SC_INDEX]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False            # a touchscreen and a 203-dpi printer do not need it
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    out = OUT / f"NotoSansSC-{weight}-GB2312.otf"
    font.save(str(out))
    return out


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    basic = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    punctuation = {chr(c) for c in range(0x2000, 0x2070)} | {chr(c) for c in range(0x3000, 0x3040)}
    fullwidth = {chr(c) for c in range(0xFF00, 0xFFF0)}
    chars = gb2312() | used_here() | basic | punctuation | fullwidth | set("①②③④⑤★☆●○✓✔×→←↑↓")
    chars = {c for c in chars if not ("\u0f00" <= c <= "\u0fff") and c.isprintable()}
    for weight in ("Regular", "Bold"):
        print(subset_cjk(weight, chars), file=sys.stderr)
    shutil.copyfile(TIBETAN / "NotoSerifTibetan-Medium.ttf", OUT / "NotoSerifTibetan-Medium.ttf")
    shutil.copyfile(TIBETAN / "NotoSerifTibetan-SemiBold.ttf", OUT / "NotoSerifTibetan-SemiBold.ttf")
    for path in sorted(OUT.glob("*.?tf")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
