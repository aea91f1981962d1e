"""`vstation`: the one command line of the station (docs/architecture.md, Command line)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .base.digits import whole_number
from .base.errors import VStationError


def _console(text: str) -> tuple[str, int] | None:
    """`--console IP:PORT`, or `off`."""
    return None if text == "off" else _hostport(text)


def _hostport(text: str) -> tuple[str, int]:
    host, _, port_text = text.rpartition(":")
    port = whole_number(port_text, low=1, high=65535)
    if not host or port is None:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT such as 127.0.0.1:1883, found {text!r}")
    return host, port


def _port(text: str) -> int:
    port = whole_number(text, low=1, high=65535)
    if port is None:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, found {text!r}")
    return port


def _count(text: str) -> int:
    """A whole number in ASCII digits (argparse's `type=int` would take `１４` or `1_4`)."""
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a whole number such as 14, found {text!r}")
    return value


def default_data_dir() -> Path:
    """Per-user folder for the demo station: $XDG_DATA_HOME/vstation or ~/.local/share/vstation."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "vstation"


CONFIG_HELP = "station.toml (default: $VSTATION_CONFIG, else /etc/vstation/station.toml)"


def _sub_parser(common: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """The class of every subcommand's parser (nested ones too): each also takes the common options."""
    class SubParser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs) -> None:
            kwargs["parents"] = [*kwargs.get("parents", ()), common]
            super().__init__(*args, **kwargs)
    return SubParser


def _run_parser(sub: argparse._SubParsersAction) -> None:
    """`vstation run --simulate`: the demo's options."""
    run = sub.add_parser("run", help="the demo: kiosk and sync together with simulated hardware")
    run.add_argument("--simulate", action="store_true", help="simulated printer, card reader and lockers")
    run.add_argument("--port", type=_port, help="UI port (default 8080)")
    run.add_argument("--data-dir", type=Path, help=f"demo data folder (default {default_data_dir()})")
    run.add_argument("--mqtt", type=_hostport, metavar="HOST:PORT", help="district broker to sync with")
    run.add_argument("--district", action="store_true",
                     help="also run a local mosquitto and the district hub with its console (needs mosquitto)")
    run.add_argument("--always-open", action="store_true",
                     help="lift the demo's opening-hours calendar: take tickets at any hour")
    run.add_argument("--console", type=_console, default=False, metavar="IP:PORT|off",
                     help="where the staff console listens (HTTPS on the LAN; default 0.0.0.0:8443), or off")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vstation", description="Station kiosk and edge service of a V-station.")
    p.add_argument("--version", action="version", version=f"vstation {__version__}")
    p.add_argument("--config", help=CONFIG_HELP)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    # --config and -v also after the subcommand (`vstation kiosk --config X`, the way people type it);
    # SUPPRESS keeps a value given before the subcommand when none is given after it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debug detail")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_sub_parser(common))

    _run_parser(sub)

    sub.add_parser("kiosk", help="the kiosk process: screens, API and hardware (systemd runs it)")
    sync = sub.add_parser("sync", help="the sync process: the station's link to the district")
    sync.add_argument("--mqtt", type=_hostport, metavar="HOST:PORT", help="override the configured broker")

    init = sub.add_parser("init", help="write a commented station.toml and create the database")
    init.add_argument("--database", type=Path, default=Path("/var/lib/vstation/station.db"),
                      help="where the database goes (default /var/lib/vstation/station.db)")
    init.add_argument("--station-id", default="my-station-01", help="the station id ([a-z0-9-])")
    init.add_argument("--console-cert", action="store_true",
                      help="only make a new staff console certificate for the existing config (address changed)")

    sub.add_parser("check", help="validate the config, open every device, say what works")

    bak = sub.add_parser("backup", help="copy the station database while it runs (SQLite online backup)")
    bak.add_argument("dest", type=Path, help="a folder (gets station-YYYYMMDDTHHMMSSZ.db) or a file ending in .db")
    bak.add_argument("--keep", type=_count, metavar="N", help="then keep only the newest N dated backups in DEST")
    res = sub.add_parser("restore", help="replace the database with a backup (kiosk and sync stopped)")
    res.add_argument("src", type=Path, help="a backup file made by `vstation backup`")

    rost = sub.add_parser("roster", help="the station's members and their cards")
    rost_sub = rost.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = rost_sub.add_parser("import", help="add or update members from a CSV file (see the README)")
    imp.add_argument("file", type=Path, help="CSV: member_id,card_uid,name,role,grid,balance")

    sign = sub.add_parser("sign-command", help="sign a district command for this station (prints topic and payload)")
    sign.add_argument("name", help="e.g. locker.open, printer.test, queue.reset_day, events.replay, diagnostics")
    sign.add_argument("args", nargs="?", default="{}", help='the args as JSON, e.g. \'{"slot": "U1", "reason": "test"}\'')
    sign.add_argument("--key-file", type=Path, help="the command key (default: mqtt.command_key_file)")
    sign.add_argument("--expires-in", type=_count, default=300, metavar="SECONDS", help="lifetime (default 300, at most 86400)")

    dist = sub.add_parser("district", add_help=False,
                          help="the district hub: run, init, add-station, rotate-keys, add-user … (--help for more)")

    pin = sub.add_parser("set-pin", help="set a staff member's PIN (asked twice, never shown)")
    pin.add_argument("member_id", help="the staff member's id in the roster")
    pin.add_argument("--stdin", action="store_true", help="read the PIN from standard input (for scripts)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "district" in argv:              # the hub has its own command line and its own config (district.toml)
        at = argv.index("district")
        head = parser().parse_args(argv[:at + 1])
        if head.command == "district":
            from district.cli import main as district_main
            return district_main(argv[at + 1:], config=head.config, verbose=head.verbose)
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _dispatch(args)
    except VStationError as exc:
        print(f"vstation {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _set_pin(config, member_id: str, *, from_stdin: bool) -> int:
    import getpass

    from .base import store
    from .members import staff

    if from_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new PIN (4-6 digits): ")
        if getpass.getpass("the same PIN again: ") != pin:
            print("vstation set-pin: the two PINs differ; nothing changed", file=sys.stderr)
            return 2
    if not staff.PIN_PATTERN.fullmatch(pin):
        print("vstation set-pin: a PIN is 4 to 6 digits; nothing changed", file=sys.stderr)
        return 2
    conn = store.open_store(config.database_path)
    try:
        staff.set_pin(conn, member_id, pin)
    finally:
        conn.close()
    print(f"PIN set for {member_id}")
    return 0


def _roster_import(config, path: Path) -> int:
    from .base import store
    from .members import roster

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"vstation roster import: {path}: cannot be read as UTF-8 text ({exc})", file=sys.stderr)
        return 2
    conn = store.open_store(config.database_path)
    try:
        report = roster.import_csv(conn, text, new_member_points=config.points.new_member)
    finally:
        conn.close()
    print("\n".join(report.lines()))
    return 1 if report.rejected else 0


def _backup_or_restore(config, args: argparse.Namespace) -> int:
    from .upkeep import backup

    if args.command == "backup":
        done = backup.backup(config.database_path, args.dest, keep=args.keep)
        print(f"backed up {config.database_path} to {done.path} ({done.pages} pages, integrity ok)")
        for old in done.removed:
            print(f"removed old backup {old}")
        return 0
    aside = backup.restore(args.src, config.database_path)
    print(f"restored {config.database_path} from {args.src}"
          + (f"; the previous database is kept as {aside}" if aside else ""))
    return 0


def _sign_command(config, args: argparse.Namespace) -> int:
    """Print the topic and signed payload of a command, ready for mosquitto_pub."""
    import json

    from sync import signing

    key_file = args.key_file or config.mqtt.command_key_file
    if not key_file:
        print("vstation sign-command: no key: give --key-file or set mqtt.command_key_file", file=sys.stderr)
        return 2
    try:
        key = signing.read_key(key_file)
        cmd_args = json.loads(args.args)
    except (OSError, ValueError) as exc:
        print(f"vstation sign-command: {exc}", file=sys.stderr)
        return 2
    if not isinstance(cmd_args, dict) or not 1 <= args.expires_in <= 86400:
        print("vstation sign-command: args must be a JSON object, --expires-in 1 to 86400", file=sys.stderr)
        return 2
    cmd = signing.command(config.station.id, args.name, cmd_args, lifetime_s=args.expires_in)
    print(signing.topic(config.station.id, cmd["id"]))
    print(signing.envelope(key, cmd).decode("utf-8"))
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    from . import config as cfg

    if args.command == "run":
        if not args.simulate:
            print("vstation run: only the demo runs this way: add --simulate "
                  "(a real station runs `vstation kiosk` and `vstation sync` under systemd)", file=sys.stderr)
            return 2
        if args.district and args.mqtt:
            print("vstation run: --district brings its own broker; leave out --mqtt", file=sys.stderr)
            return 2
        from .runner import run_demo
        return run_demo(data_dir=args.data_dir or default_data_dir(), port=args.port, mqtt=args.mqtt,
                        console=args.console, district=args.district, always_open=args.always_open,
                        config_path=Path(args.config) if args.config else None)
    if args.command == "init":
        from .upkeep.initialise import init
        return init(cfg.config_path(args.config), database=args.database, station_id=args.station_id,
                    console_cert=args.console_cert)
    if args.command == "check":
        from . import hardware
        from .upkeep.checkup import check_path
        return check_path(cfg.config_path(args.config), devices=hardware.openers())
    config = cfg.load(cfg.config_path(args.config))
    if args.command == "kiosk":
        from .runner import serve_kiosk
        return serve_kiosk(config)
    if args.command == "sync":
        from sync.agent import run_sync
        return run_sync(cfg.with_mqtt(config, args.mqtt) if args.mqtt else config)
    if args.command == "roster":
        return _roster_import(config, args.file)
    if args.command in ("backup", "restore"):
        return _backup_or_restore(config, args)
    if args.command == "sign-command":
        return _sign_command(config, args)
    if args.command == "set-pin":
        return _set_pin(config, args.member_id, from_stdin=args.stdin)
    raise AssertionError(args.command)
