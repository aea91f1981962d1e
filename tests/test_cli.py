"""The command line as an operator meets it: init, check, and every refusal in one clear line."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

from conftest import Demo, vstation

from kiosk import demo


def test_init_writes_a_config_and_database_and_never_overwrites(tmp_path: Path):
    config = tmp_path / "etc" / "station.toml"
    db = tmp_path / "data" / "station.db"
    result = vstation("--config", str(config), "init", "--database", str(db), "--station-id", "lhasa-cg-01")
    assert result.returncode == 0, result.stderr
    assert 'id = "lhasa-cg-01"' in config.read_text(encoding="utf-8")
    assert db.exists()
    before = config.read_text(encoding="utf-8")
    again = vstation("--config", str(config), "init", "--database", str(db))
    assert again.returncode != 0
    assert "already exists: init never overwrites" in again.stderr
    assert config.read_text(encoding="utf-8") == before


def test_check_on_the_demo_station_says_everything_works(config_path: Path):
    from kiosk.base import store
    store.open_store(config_path.parent / "station.db").close()   # check never creates the database
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines][:5] == [
        ["ok", "config"], ["ok", "database"], ["ok", "printer"], ["ok", "card"], ["ok", "lockers"]]
    assert "integrity ok" in result.stdout


def test_check_names_a_card_reader_that_is_not_there(config_path: Path):
    text = config_path.read_text(encoding="utf-8").replace(
        '[card_reader]\nkind = "sim"', '[card_reader]\nkind = "rdm6300"\ndevice = "/dev/vstation-no-such-reader"')
    config_path.write_text(text, encoding="utf-8")
    result = vstation("--config", str(config_path), "check")
    assert result.returncode == 1
    assert "FAIL  card reader  rdm6300 /dev/vstation-no-such-reader: offline" in result.stdout


def test_an_invalid_config_stops_with_the_key_and_a_nonzero_exit(config_path: Path):
    text = config_path.read_text(encoding="utf-8").replace('[printer]\nkind = "sim"', '[printer]\nkind = "laser"')
    config_path.write_text(text, encoding="utf-8")
    result = vstation("--config", str(config_path), "kiosk")
    assert result.returncode == 2
    assert 'printer.kind: found "laser", expected one of usb, serial, network, file, sim' in result.stderr
    assert "Traceback" not in result.stderr
    assert not (config_path.parent / "station.db").exists()  # nothing half-written


def test_an_unwritable_database_path_stops_with_one_line(config_path: Path, tmp_path: Path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    text = config_path.read_text(encoding="utf-8").replace('path = "station.db"', f'path = "{blocker}/station.db"')
    config_path.write_text(text, encoding="utf-8")
    result = vstation("--config", str(config_path), "kiosk")
    assert result.returncode == 2
    assert "cannot be opened for writing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_second_kiosk_on_the_same_port_is_refused(config_path: Path, tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        text = config_path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        config_path.write_text(text, encoding="utf-8")
        result = vstation("--config", str(config_path), "kiosk")
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_second_demo_on_the_same_data_is_refused(running_demo):
    result = vstation("run", "--simulate", "--port", "1", "--data-dir", str(running_demo.data_dir))
    assert result.returncode == 2
    assert "another vstation kiosk" in result.stderr and "already running" in result.stderr


def test_run_without_simulate_explains_itself():
    result = vstation("run")
    assert result.returncode == 2
    assert "add --simulate" in result.stderr


def test_the_demo_tells_where_the_ui_is_and_which_cards_exist(running_demo):
    output = running_demo.stop()
    assert f"kiosk screen:  {running_demo.url}/" in output
    for _member, uid in demo.ROSTER:
        assert uid in output


def test_a_missing_lock_board_adapter_is_one_clear_line(config_path: Path):
    text = config_path.read_text(encoding="utf-8").replace(
        '[lockers]\nkind = "sim"', '[lockers]\nkind = "rs485"\ndevice = "/dev/ttyUSB-absent"')
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("lock_pin", "door_pin", "item_pin")))
    text = text.replace('purpose = "umbrella"', 'purpose = "umbrella"\nboard = 1\nchannel = 1')
    text = text.replace('purpose = "charging"', 'purpose = "charging"\nboard = 1\nchannel = 2')
    config_path.write_text(text, encoding="utf-8")
    result = vstation("--config", str(config_path), "kiosk")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith('vstation kiosk: lockers (rs485): cannot be opened:')
    assert "/dev/ttyUSB-absent" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_sync_keeps_the_outbox_and_stops_cleanly_on_sigterm(config_path: Path):
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config_path), "sync"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert "outbox: 0 event(s) waiting" in proc.stderr.readline()   # logged once it holds the lock
        second = vstation("--config", str(config_path), "sync")
        assert second.returncode == 2 and "another vstation sync" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_config_goes_before_or_after_the_subcommand(config_path: Path):
    text = config_path.read_text(encoding="utf-8").replace('[printer]\nkind = "sim"', '[printer]\nkind = "laser"')
    config_path.write_text(text, encoding="utf-8")
    for args in (["--config", str(config_path), "kiosk"], ["kiosk", "--config", str(config_path)],
                 ["check", "--config", str(config_path)], ["roster", "import", "x.csv", "--config", str(config_path)]):
        result = vstation(*args)
        assert "unrecognized arguments" not in result.stderr, args
        assert 'printer.kind: found "laser"' in result.stderr + result.stdout, args


def test_vstation_kiosk_never_offers_the_simulator_even_with_every_device_simulated(config_path: Path):
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from conftest import ROOT, free_port, wait_healthy

    port = free_port()
    text = config_path.read_text(encoding="utf-8").replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    config_path.write_text(text, encoding="utf-8")
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "kiosk", "--config", str(config_path)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_healthy(url)
        for path in ("/sim/", "/sim/printer"):
            try:
                urllib.request.urlopen(url + path, timeout=5)
                raise AssertionError(f"{path} is served")
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
        home = urllib.request.urlopen(url + "/", timeout=5).read().decode()
        assert "/sim/" not in home
    finally:
        kiosk.terminate()
        kiosk.wait(timeout=15)


def test_the_always_open_demo_takes_tickets_at_any_hour_and_the_banner_says_how_the_calendar_stands(tmp_path: Path):
    data = tmp_path / "demo"
    data.mkdir()
    demo.write_config(data)                     # the demo's own calendar, which is closed at night
    running = Demo(data, "--always-open")
    try:
        request = urllib.request.Request(running.url + "/api/v1/tickets", data=b'{"service": "consult"}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201 and json.load(answer)["number"] == "A001"
    finally:
        output = running.stop()
    assert "  queue:         tickets now" in output
