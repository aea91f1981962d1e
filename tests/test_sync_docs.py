"""docs/asyncapi.yaml is held to the code: the same schemas, topics, QoS and valid examples."""

from __future__ import annotations

import json

import yaml
from conftest import ROOT

from sync import schemas
from sync.topics import Topics

DOC = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))


def resolve(ref: str) -> dict:
    node = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_payload_schemas_are_the_ones_the_code_validates_with():
    assert DOC["asyncapi"].startswith("3.")
    assert DOC["components"]["schemas"] == schemas.SCHEMAS
    assert DOC["components"]["schemas"]["Ack"] == schemas.ACK


def test_channels_are_the_topics_the_station_uses():
    topics = Topics("{station}")
    addresses = {name: channel["address"] for name, channel in DOC["channels"].items()}
    assert addresses == {"status": topics.status, "telemetry": topics.telemetry, "events": topics.events,
                         "eventsAck": topics.events_ack, **{doc: topics.topic(doc) for doc in schemas.DOCUMENTS},
                         "command": topics.topic("cmd/{id}"), "commandResult": topics.topic("cmd/{id}/result")}


def test_operations_say_who_sends_with_which_qos():
    found = {}
    for op in DOC["operations"].values():
        channel = resolve(op["channel"]["$ref"])
        mqtt = op["bindings"]["mqtt"]
        found[channel["address"].rsplit("{station}/", 1)[1]] = (op["action"], mqtt["qos"], mqtt.get("retain", False))
        for message in op["messages"]:
            assert resolve(message["$ref"])                               # every reference resolves
    assert found == {"status": ("send", 1, True), "telemetry": ("send", 0, False), "events": ("send", 1, False),
                     "events/ack": ("receive", 1, False), **{doc: ("receive", 1, True) for doc in schemas.DOCUMENTS},
                     "cmd/{id}": ("receive", 1, False), "cmd/{id}/result": ("send", 1, False)}


def test_every_example_is_valid_under_its_schema():
    for message in DOC["components"]["messages"].values():
        schema = resolve(message["payload"]["$ref"])
        for example in message.get("examples", []):
            assert schemas.errors(schema, example["payload"]) == [], example["name"]
            for event in example["payload"].get("events", []):         # and each event's data under its type's
                assert schemas.errors(schemas.SCHEMAS[f"Data.{event['type']}"], event["data"]) == []


def test_the_ack_validator_accepts_what_the_schema_allows_and_nothing_else():
    assert schemas.parse_ack(b'{"upto_seq": 0}') == (0, None)
    assert schemas.parse_ack(b'{"upto_seq": 42, "ts": "2026-11-22T00:00:00.000+00:00", "by": "x"}') == (42, None)
    assert schemas.parse_ack(b'{"upto_seq": 42, "epoch": 1796162851894}') == (42, 1796162851894)
    for bad in (b'{"upto_seq": -1}', b'{"upto_seq": "1"}', b'{"upto_seq": null}', b'{"upto_seq": false}',
                b'{"upto_seq": 1e400}', b'{"upto_seq": NaN}', b"{}", b"[]", b"1", b"", b'{"upto_seq": 1, "ts": 5}',
                b'{"upto_seq": 9223372036854775808}', b'{"upto_seq": 1, "epoch": 0}', b'{"upto_seq": 1, "epoch": 1.5}',
                b'{"upto_seq": ' + b"[" * 3000 + b"]" * 3000 + b"}", b"[" * 3000 + b"]" * 3000):
        try:
            schemas.parse_ack(bad)
        except schemas.BadPayload:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_the_command_example_is_signed_as_documented_and_every_allowed_command_has_its_args_schema():
    from sync import commands, signing

    example = DOC["components"]["messages"]["SignedCommand"]["examples"][0]["payload"]
    assert example["hmac"] == signing.mac(b"example-key-not-a-real-one", example["command"].encode("utf-8"))
    assert schemas.errors(schemas.COMMAND, json.loads(example["command"])) == []
    assert set(commands.RUNS_IN) == set(schemas.COMMAND_ARGS)
    assert {f"Args.{name}" for name in schemas.COMMAND_ARGS} <= set(DOC["components"]["schemas"])


MQTT_MD = (ROOT / "docs" / "mqtt.md").read_text(encoding="utf-8")


def test_the_hmac_test_vectors_in_mqtt_md_are_what_the_station_computes():
    import re

    from sync import signing

    section = MQTT_MD[MQTT_MD.index("**Test vectors**"):MQTT_MD.index("**Refused, never run**")]
    key = re.search(r"the \d+ bytes of the text `([^`]+)`", section).group(1).encode()
    vectors = re.findall(r"- command `(.+)`\n  hmac `([0-9a-f]{64})`", section)
    assert len(vectors) == 2 and any(not text.isascii() for text, _ in vectors)
    for text, mac in vectors:
        assert signing.mac(key, text.encode("utf-8")) == mac
        assert schemas.errors(schemas.COMMAND, json.loads(text)) == []


def _codes_of_table(after: str) -> list[str]:
    """The first column's codes of the markdown table that follows the text `after` in docs/mqtt.md."""
    import re

    rows = MQTT_MD[MQTT_MD.index(after):].split("\n\n", 2)[1]
    return [c for c in re.findall(r"^\| `([a-z_]+)` \|", rows, flags=re.M) if c != "code"]


def test_every_refusal_code_is_documented_with_its_meaning():
    from sync.event_schemas import REJECTED_CODES

    assert _codes_of_table("`code` says for machines what the reasons say in words:") == REJECTED_CODES
    assert sorted(_codes_of_table("`cmd/{id}/result` with that `{id}` whole")) == sorted(schemas.REFUSED_CODES)
    for code in schemas.FAILED_CODES:
        assert f"`{code}`" in MQTT_MD[MQTT_MD.index("Which status goes with each outcome"):], code


def test_the_demo_roster_in_mqtt_md_is_the_demo_stations_and_valid():
    import re

    from kiosk import demo

    text = re.search(r"-t 'vstation/v1/demo-barkor-01/roster' -m '(.+?)'\n", MQTT_MD, flags=re.S).group(1)
    roster = json.loads(text)
    assert schemas.errors(schemas.ROSTER_DOC, roster) == []
    assert [(m["member_id"], m["card_uid"], m["name"], m["role"], m["grid"]) for m in roster["members"]] == \
        [(member.id, uid, member.name, member.role, member.grid) for member, uid in demo.ROSTER]
