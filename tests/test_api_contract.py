"""The published HTTP API holds against a property-based fuzzer, pointed at it as an integrator would.

schemathesis (its command line) reads the OpenAPI document the kiosk serves
at /api/v1/openapi.json, generates requests from it (its examples, the
coverage of every constraint's edges, then random valid and invalid data)
and checks every answer with every check it has: no 5xx, the status and
content type and schema and headers documented, valid data accepted,
invalid data refused, 405 with `Allow` for methods a path does not serve …
against a real demo station (waitress on loopback). It must also fail when a
constraint is taken out of the document: a fuzzer that cannot fail proves
nothing. The document is saved to a file first, so that the operation that
serves the document itself is tested too (from its URL, schemathesis skips it).
One hook (tests/api_contract_hooks.py) keeps each valid Idempotency-Key to
one use: the key-reuse rule depends on earlier requests, which no schema says.

A later API (the staff console's, the district hub's) joins by adding its
document's URL to APIS.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from conftest import Demo

EXAMPLES = 300                   # per operation, in the fuzzing phase (the coverage phase adds its own)
APIS = ["/api/v1/openapi.json"]  # every published API document of the kiosk
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
HOOKS = Path(__file__).with_name("api_contract_hooks.py")      # each valid Idempotency-Key used once


@pytest.fixture
def kiosk(tmp_path_factory):
    """A fresh demo station per run (its database remembers every key the fuzzer used)."""
    running = Demo(tmp_path_factory.mktemp("contract") / "demo")   # open at any hour: valid requests get tickets
    yield running
    running.stop()


def served(kiosk: Demo, api: str) -> dict:
    with urllib.request.urlopen(kiosk.url + api, timeout=10) as response:
        return json.load(response)


def fuzz(kiosk: Demo, document: dict, folder: Path, examples: int) -> subprocess.CompletedProcess:
    """Run schemathesis with every check over `document` against the running kiosk."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    return subprocess.run(
        [str(SCHEMATHESIS), "run", str(spec), "--url", kiosk.url, "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(examples),
         "--generation-database", "none", "--report-dir", str(folder / "report")],
        capture_output=True, text=True, timeout=900, cwd=folder,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false", "SCHEMATHESIS_HOOKS": str(HOOKS)})


@pytest.mark.parametrize("api", APIS)
def test_every_published_operation_passes_every_check(kiosk, tmp_path, api):
    document = served(kiosk, api)
    result = fuzz(kiosk, document, tmp_path, EXAMPLES)
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    operations = sum(len(methods) for methods in document["paths"].values())
    assert f"Operations:       {operations} selected / {operations} total" in result.stdout
    assert "No issues found" in result.stdout
    generated = int(re.search(r"(\d+) generated", result.stdout).group(1))
    assert generated >= EXAMPLES                                  # the tickets alone get hundreds


def without(document: dict, *path: str) -> dict:
    """The document with one constraint taken out (the key at `path`)."""
    mutated = copy.deepcopy(document)
    node = mutated
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return mutated


TICKET = ("components", "schemas", "TicketRequest")
KEY = ("paths", "/api/v1/tickets", "post", "parameters", 0, "schema")
MUTATIONS = {
    "the Idempotency-Key's pattern and lengths (the issue's finding: an empty key)": [
        (*KEY, "pattern"), (*KEY, "minLength"), (*KEY, "maxLength")],
    "no unknown fields in a ticket request": [(*TICKET, "additionalProperties")],
    "priority is a boolean": [(*TICKET, "properties", "priority", "type")],
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_the_fuzzer_fails_when_a_constraint_is_removed_from_the_document(kiosk, tmp_path, name):
    """The mutation check: the station still enforces the rule, the document no longer says so, and the
    fuzzer finds a request the document allows that the station refuses."""
    document = served(kiosk, APIS[0])
    for path in MUTATIONS[name]:
        document = without(document, *path)
    result = fuzz(kiosk, document, tmp_path, 100)
    assert result.returncode != 0, result.stdout[-3000:]
    assert "Schema-valid request rejected" in result.stdout or "Undocumented HTTP status code" in result.stdout, \
        result.stdout[-3000:]
