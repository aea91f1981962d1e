#!/usr/bin/env python3
"""Write the payload schemas of sync/schemas.py into docs/asyncapi.yaml (components/schemas).

The code owns the schemas; the AsyncAPI document carries a copy that
tests/test_sync_docs.py holds equal. After changing a schema, run
`.venv/bin/python scripts/asyncapi-schemas.py`. Everything above
`components: schemas:` (channels, operations, messages, prose) is kept as written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync import schemas  # noqa: E402

MARK = "\n  schemas:\n"


def main() -> int:
    path = ROOT / "docs" / "asyncapi.yaml"
    text = path.read_text(encoding="utf-8")
    if MARK not in text:
        print(f"{path}: no 'components: schemas:' section at its end", file=sys.stderr)
        return 1
    head = text[:text.index(MARK)]
    body = yaml.safe_dump({"schemas": schemas.SCHEMAS}, sort_keys=False, allow_unicode=True, width=120)
    path.write_text(head + "\n" + "".join(f"  {line}\n" for line in body.splitlines()), encoding="utf-8")
    print(f"{path}: {len(schemas.SCHEMAS)} schemas written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
