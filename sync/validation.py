"""Checking a payload against one of the contract's JSON schemas (sync/schemas.py).

The validator covers the subset of JSON Schema the contract uses (type,
properties, required, additionalProperties, items, enum, minimum, maximum,
minLength, maxLength, pattern, minItems, maxItems). `decode` reads a payload
from the district defensively: the size is checked before anything is read,
and a document nested deeper than any the contract has is refused before it
is walked (a 3,000-deep payload made `json.loads` raise RecursionError).
Pure: the district's side uses it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32            # no payload of the contract nests half as deep

#: Why a payload was refused before its content was looked at (BadPayload.code); "invalid" is the schema's word.
DECODE_CODES = ("too_large", "not_json", "too_deep")


class BadPayload(ValueError):
    """A payload from the district that is not what the contract says (too big, not JSON, wrong shape).

    `code` names the refusal for machines: too_large, not_json, too_deep or invalid (the schema said no).
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def errors(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as 'where: what' lines (empty when it conforms)."""
    types = schema.get("type")
    if types is not None and not any(_is(t, value) for t in ([types] if isinstance(types, str) else types)):
        return [f"{where}: expected {types}, found {_kind(value)}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: expected one of {schema['enum']}, found {value!r}")
    if "minimum" in schema and _is("number", value) and value < schema["minimum"]:
        found.append(f"{where}: expected at least {schema['minimum']}, found {value!r}")
    if "maximum" in schema and _is("number", value) and value > schema["maximum"]:
        found.append(f"{where}: expected at most {schema['maximum']}, found {value!r}")
    if "maxLength" in schema and isinstance(value, str) and len(value) > schema["maxLength"]:
        found.append(f"{where}: longer than {schema['maxLength']} characters")
    if "minLength" in schema and isinstance(value, str) and len(value) < schema["minLength"]:
        found.append(f"{where}: shorter than {schema['minLength']} characters")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        found.append(f"{where}: does not match {schema['pattern']}")
    if isinstance(value, list):
        found += _array_errors(schema, value, where)
    if isinstance(value, dict):
        found += _object_errors(schema, value, where)
    return found


def _array_errors(schema: dict[str, Any], value: list[Any], where: str) -> list[str]:
    found = []
    if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
        found.append(f"{where}: {len(value)} items, expected {schema.get('minItems', 0)} to "
                     f"{schema.get('maxItems', 'any')}")
    if "items" in schema:
        for i, item in enumerate(value):
            found += errors(schema["items"], item, f"{where}[{i}]")
    return found


def _object_errors(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    found = [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += errors(properties[name], item, f"{where}.{name}")
        elif extra is False:
            found.append(f"{where}: unexpected {name!r}")
        elif isinstance(extra, dict):
            found += errors(extra, item, f"{where}.{name}")
    return found


def _is(kind: str, value: Any) -> bool:
    """JSON Schema type test; a bool is never a number, and 3.0 counts as an integer."""
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and value not in (float("inf"), float("-inf"))
    return {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}[kind] is type(value)


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            int: "integer", float: "number"}.get(type(value), type(value).__name__)


def depth(value: Any) -> int:
    """How deep arrays and objects nest in `value` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def decode(payload: bytes, *, limit: int) -> Any:
    """The JSON value of a payload from the district; raise BadPayload (with its code) saying why not."""
    if len(payload) > limit:
        raise BadPayload(f"{len(payload)} bytes, more than the {limit} allowed (not read)", "too_large")
    try:
        value = json.loads(payload.decode("utf-8"))
    except RecursionError:
        raise BadPayload(f"nested deeper than {MAX_DEPTH} levels (not read)", "too_deep") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPayload(f"not UTF-8 JSON ({str(exc)[:100]})", "not_json") from None
    if depth(value) > MAX_DEPTH:
        raise BadPayload(f"nested deeper than {MAX_DEPTH} levels", "too_deep")
    return value


def parse(schema: dict[str, Any], payload: bytes, *, limit: int) -> Any:
    """Decode a payload from the district and check it against `schema`; raise BadPayload saying why not."""
    value = decode(payload, limit=limit)
    problems = errors(schema, value)
    if problems:
        raise BadPayload("; ".join(problems[:5]))
    return value
