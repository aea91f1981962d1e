"""The shape of the code (docs/architecture.md): layers that never import upward, no import circles.

The checks read the imports of every module with `ast` (imports under
`if TYPE_CHECKING:` and inside functions count too), so a circle cannot hide
behind a late import. Each rule is also tried on a small made-up tree, to
show that it would fail.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGES = ("kiosk", "drivers", "sync", "district")
#: The kiosk process's faces and wiring; everything else in kiosk/ is the core.
KIOSK_FACES = ("kiosk.web", "kiosk.cli", "kiosk.runner", "kiosk.hardware", "kiosk.__main__", "kiosk.demo",
               "kiosk.counter_desk",
               "kiosk.station")
#: all the district hub may take from the station's code: pure helpers (docs/architecture.md, District hub)
DISTRICT_MAY_USE = ("kiosk.config.reader", "kiosk.base.clock", "sync.topics", "sync.signing", "sync.schemas",
                    "sync.rotation")
WEB_STACK = ("flask", "flask_babel", "flask_wtf", "werkzeug", "waitress", "jinja2")
WELL_KNOWN = {"requests", "backoff", "attr", "attrs", "yaml", "six", "serial", "escpos", "paho", "gpiozero",
              "qrcode", "flask", "babel", "pytest", "typing_extensions"}


def modules(root: Path) -> dict[str, Path]:
    """Every module of our packages under `root`, by dotted name."""
    found = {}
    for top in PACKAGES:
        for path in (root / top).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """The dotted names a module imports (absolute, whatever the import looked like)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules of ours it imports (a package's own __init__ does not count as a module it needs)."""
    mods = modules(root)

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in mods:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    edges = {}
    for name, path in mods.items():
        targets = {resolve(d) for d in imports(name, path)}
        edges[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def domain_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The core's packages (kiosk.base, kiosk.tickets, …) and which others they use."""
    def domain(mod: str) -> str | None:
        parts = mod.split(".")
        if parts[0] != "kiosk" or len(parts) < 3 or any(mod.startswith(f) for f in KIOSK_FACES):
            return None
        return ".".join(parts[:2])

    out: dict[str, set[str]] = {}
    for a, targets in edges.items():
        if (da := domain(a)) is None:
            continue
        out.setdefault(da, set())
        out[da] |= {db for b in targets if (db := domain(b)) and db != da}
    return out


def upward(raw: dict[str, set[str]]) -> list[str]:
    """Imports that cross a layer the wrong way, as 'module -> what it imports (the rule)'."""
    found = set()
    for mod, deps in raw.items():
        top = mod.split(".")[0]
        core = top == "kiosk" and not any(mod == f or mod.startswith(f + ".") for f in KIOSK_FACES)
        for dep in deps:
            first = dep.split(".")[0]
            face = next((f for f in KIOSK_FACES if dep == f or dep.startswith(f + ".")), None)
            if top == "drivers" and first in ("kiosk", "sync", "district"):
                found.add(f"{mod} -> {first} (drivers know nothing of the station)")
            elif core and (first in WEB_STACK or first in ("paho", "drivers", "sync", "district")):
                found.add(f"{mod} -> {first} (the core imports neither the web stack, paho, drivers nor sync)")
            elif core and face:
                found.add(f"{mod} -> {face} (the core imports none of the faces above it)")
            elif top == "district" and first in ("kiosk", "sync", "drivers") \
                    and not any(dep == ok or dep.startswith(ok + ".") for ok in DISTRICT_MAY_USE) \
                    and dep not in ("kiosk", "kiosk.config", "kiosk.base", "sync"):
                found.add(f"{mod} -> {'.'.join(dep.split('.')[:2])} (the district speaks to stations only through the MQTT contract; it "
                          "shares only kiosk.config.reader, kiosk.base.clock and sync's topics, signing, schemas, rotation)")
            elif top == "sync" and (first in WEB_STACK or first == "drivers" or dep.startswith("kiosk.web")):
                found.add(f"{mod} -> {'kiosk.web' if first == 'kiosk' else first} "
                          "(sync imports no kiosk.web, Flask or drivers)")
    return sorted(found)


def raw_imports(root: Path) -> dict[str, set[str]]:
    return {name: imports(name, path) for name, path in modules(root).items()}


# -- the house as it is --------------------------------------------------------
def test_no_module_imports_a_module_that_imports_it_back():
    assert circles(graph(ROOT)) == []


def test_the_core_domains_use_each_other_without_a_loop():
    assert circles(domain_graph(graph(ROOT))) == []


def test_no_layer_imports_upward():
    assert upward(raw_imports(ROOT)) == []


def test_modules_and_functions_stay_small():
    big = []
    for name, path in modules(ROOT).items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            big.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                big.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert big == []


def test_no_name_shadows_the_standard_library_or_a_well_known_package():
    shadows = sorted({part for name in modules(ROOT) for part in name.split(".")[1:]
                      if part in sys.stdlib_module_names or part in WELL_KNOWN})
    assert shadows == []


def unnamed_in_the_map(root: Path, doc: str) -> list[str]:
    """Modules docs/architecture.md never names: each file by its name (`tapped.py`), a package's
    `__init__.py` by its folder; Alembic's numbered revisions are named by their pattern."""
    missing = []
    for name, path in sorted(modules(root).items()):
        if "versions" in path.parts:
            continue
        word = f"{path.parent.name}/" if path.name == "__init__.py" else path.name
        if f"`{word}" not in doc and f"{word}`" not in doc and f"/{word}" not in doc:
            missing.append(str(path.relative_to(root)))
    return missing


def test_the_architecture_page_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert unnamed_in_the_map(ROOT, doc) == [], "name these in docs/architecture.md (what each is for)"


# -- the rules can fail -------------------------------------------------------------
def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in PACKAGES:
        (root / top).mkdir(exist_ok=True)
    return root


def test_a_circle_through_a_late_or_type_checking_import_is_found(tmp_path: Path):
    root = write(tmp_path, {"kiosk/__init__.py": "", "kiosk/a.py": "from . import b\n",
                            "kiosk/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n"})
    assert circles(graph(root)) == [["kiosk.a", "kiosk.b"]]


def test_a_loop_between_two_domains_is_found(tmp_path: Path):
    root = write(tmp_path, {"kiosk/__init__.py": "", "kiosk/shop/__init__.py": "", "kiosk/lockers/__init__.py": "",
                            "kiosk/shop/x.py": "from ..lockers import y\n", "kiosk/lockers/y.py": "",
                            "kiosk/lockers/z.py": "from ..shop.x import q\n"})
    assert circles(graph(root)) == []
    assert circles(domain_graph(graph(root))) == [["kiosk.lockers", "kiosk.shop"]]


@pytest.mark.parametrize(("files", "word"), [
    ({"drivers/__init__.py": "", "drivers/p.py": "from kiosk.base import store\n"}, "drivers know nothing"),
    ({"kiosk/__init__.py": "", "kiosk/shop/__init__.py": "", "kiosk/shop/x.py": "import flask\n"}, "web stack"),
    ({"kiosk/__init__.py": "", "kiosk/shop/__init__.py": "", "kiosk/shop/x.py": "from paho.mqtt import client\n"},
     "web stack, paho"),
    ({"kiosk/__init__.py": "", "kiosk/shop/__init__.py": "", "kiosk/shop/x.py": "from ..station import Station\n"},
     "faces above it"),
    ({"sync/__init__.py": "", "sync/x.py": "from kiosk.web import create_app\n"}, "sync imports no kiosk.web"),
    ({"sync/__init__.py": "", "sync/x.py": "import drivers.printer\n"}, "sync imports no kiosk.web"),
    ({"district/__init__.py": "", "district/x.py": "from kiosk.base import store\n"}, "only through the MQTT"),
    ({"district/__init__.py": "", "district/x.py": "from sync.agent import Agent\n"}, "only through the MQTT"),
    ({"district/__init__.py": "", "district/x.py": "import drivers\n"}, "only through the MQTT"),
])
def test_an_upward_import_is_found(tmp_path: Path, files: dict[str, str], word: str):
    root = write(tmp_path, files)
    found = upward(raw_imports(root))
    assert len(found) == 1 and word in found[0]


def test_a_module_the_architecture_page_never_names_is_found(tmp_path: Path):
    root = write(tmp_path, {"kiosk/__init__.py": "", "kiosk/web/__init__.py": "", "kiosk/web/named.py": "",
                            "kiosk/web/forgotten.py": ""})
    doc = "- `kiosk/`: the kiosk.\n- `web/`: the app; `named.py` does one thing."
    assert unnamed_in_the_map(root, doc) == ["kiosk/web/forgotten.py"]
