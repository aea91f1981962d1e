"""Door-step service (上门服务): a help request with an address, masked everywhere but for its member."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest
from conftest import demo_config, slips

from drivers import paper
from kiosk import config as cfg
from kiosk import demo
from kiosk.base import outbox
from kiosk.base.errors import ConfigError
from kiosk.base.texts import translator
from kiosk.help.address import full_text, masked_text
from kiosk.help.desk import RequestError
from kiosk.station import Station

PHONE, DOOR = "13812345678", "1502"
DOOR_STEP = {"id": "door-step", "name": {"zh": "上门服务", "en": "Help at home"}, "address": True,
             "details": [{"id": "haircut", "text": {"zh": "上门理发", "en": "A haircut at home"}}]}


def ask(station: Station, key: str = "k1", category: str = "door-step", address=("barkor-1", "2", DOOR)):
    return station.ask_for_help(category, PHONE, ["haircut"] if category == "door-step" else ["tap"], "tomorrow_am",
                                consent=True, key=key, address=address)


def test_a_door_step_request_keeps_its_address_and_tells_the_district_only_the_building(station, caplog):
    caplog.set_level(logging.DEBUG)
    req, printed = ask(station)
    assert printed and req.address.building == "barkor-1" and (req.address.unit, req.address.door) == ("2", DOOR)
    again = station.requests.get(station.db(), req.id)
    assert again.address == req.address
    created = [e for e in outbox.take(station.db()) if e.type == "request.created"][0].data
    assert created["building"] == "barkor-1" and "unit" not in created and DOOR not in str(created)
    assert DOOR not in caplog.text and PHONE not in caplog.text


def test_the_slip_shows_the_building_not_the_door(station):
    ask(station)
    text = paper.text_of(slips(station)[-1])
    assert "上门地址：八廓小区 1 栋（门牌号已隐去）" in text
    assert DOOR not in text and "2 单元" not in text


def test_the_address_in_words_full_and_masked_in_each_language(station):
    req, _ = ask(station)
    settings = station.config.help
    assert full_text(settings, req.address, translator("zh")) == "八廓小区 1 栋 2 单元 1502 室"
    assert full_text(settings, req.address, translator("en"), "en") == "Barkor Estate, building 1, entrance 2, no. 1502"
    masked = masked_text(settings, req.address, translator("en"), "en")
    assert masked == "Barkor Estate, building 1 (door number hidden)"
    courtyard, _ = ask(station, "k2", address=("lingkor-courtyard", "", "7"))
    assert full_text(settings, courtyard.address, translator("zh")) == "林廓北路大院 7 室"


@pytest.mark.parametrize("category, address, code", [
    ("door-step", None, "bad_building"),
    ("door-step", ("barkor-9", "1", "302"), "bad_building"),
    ("door-step", ("barkor-1", "4", "302"), "bad_unit"),
    ("door-step", ("barkor-1", "", "302"), "bad_unit"),
    ("door-step", ("lingkor-courtyard", "1", "302"), "bad_unit"),
    ("door-step", ("barkor-1", "1", "30a"), "bad_door"),
    ("door-step", ("barkor-1", "1", "123456"), "bad_door"),
    ("door-step", ("barkor-1", "1", "000"), "bad_door"),
    ("repairs", ("barkor-1", "1", "302"), "no_address"),
])
def test_a_bad_address_is_refused_with_its_reason_and_nothing_is_recorded(station, category, address, code):
    with pytest.raises(RequestError) as refused:
        ask(station, category=category, address=address)
    assert refused.value.code == code and refused.value.status == 400
    assert "302" not in str(refused.value) and "123456" not in str(refused.value)
    assert outbox.take(station.db()) == [] and station.printer.jobs == []


def demo_raw() -> dict:
    return tomllib.loads((Path(demo.__file__).parent / "station.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("buildings, expected", [
    ([], "help.categories[-1].address: found true, expected [[help.buildings]] for the resident to choose from"),
    ([{"id": "b1", "name": "一栋", "units": ["1-2"]}], 'help.buildings[0].units: found "1-2", expected units such as'),
    ([{"id": "b1", "name": "一栋"}, {"id": "b1", "name": "二栋"}], 'help.buildings: id "b1" appears twice'),
    ([{"id": "b1", "name": "一栋", "units": ["1", "1"]}], 'help.buildings[0].units: unit "1" appears twice'),
])
def test_a_bad_door_step_config_names_key_value_and_expectation(buildings, expected):
    raw = demo_raw()
    raw["help"]["categories"] = [c for c in raw["help"]["categories"] if not c.get("address")] + [DOOR_STEP]
    raw["help"]["buildings"] = buildings
    with pytest.raises(ConfigError) as err:
        cfg.parse(raw, Path("/etc/vstation/station.toml"))
    assert expected.replace("[-1]", f"[{len(raw['help']['categories']) - 1}]") in str(err.value)
