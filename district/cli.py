"""`vstation district …`: the hub, its station registry and its console users (README, "District hub")."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from importlib import resources
from pathlib import Path

from .errors import DistrictError
from .settings import Settings, load, settings_path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vstation district", description="The district hub and its console.")
    p.add_argument("--config", help="district.toml (default: $VSTATION_DISTRICT_CONFIG, "
                                    "else /etc/vstation/district.toml)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="the hub: ingest, documents, commands and the console (the default)")
    run.add_argument("--no-console", action="store_true", help="ingest and outbound only (a second worker)")
    sub.add_parser("init", help="write a commented district.toml if none, the hub's MQTT account, the database")
    sub.add_parser("migrate", help="bring the database to the newest schema")
    sub.add_parser("stations", help="list the registered stations")
    for name, text in (("add-station", "register a station: MQTT password, command key, files to copy"),
                       ("rotate-keys", "new MQTT password and command key for a station")):
        a = sub.add_parser(name, help=text)
        a.add_argument("station", help="the station id ([a-z0-9-], its MQTT username)")
        a.add_argument("--station-dir", default="/etc/vstation",
                       help="where the secret files will be on the station (default /etc/vstation)")
        if name == "add-station":
            a.add_argument("--name", default="", help="the station's name on the console")
            a.add_argument("--grid", default="", help="the grid it serves (dispatch suggests members of that grid)")
    rm = sub.add_parser("remove-station", help="take a station off the broker; its history stays")
    rm.add_argument("station")
    for name in ("add-user", "set-password"):
        u = sub.add_parser(name, help="a console user" if name == "add-user" else "a user's new password")
        u.add_argument("username")
        if name == "add-user":
            u.add_argument("--role", choices=("admin", "dispatcher", "viewer"), required=True)
        u.add_argument("--stdin", action="store_true", help="read the password from standard input")
    return p


def main(argv: list[str], *, config: str | None = None, verbose: bool = False) -> int:
    args = parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = settings_path(args.config or config)
    try:
        if args.action == "init":
            return _init(path)
        return _dispatch(args, load(path))
    except DistrictError as exc:
        reasons = "".join(f"\n  {r}" for r in getattr(exc, "reasons", []))
        print(f"vstation district {args.action or 'run'}: {exc}{reasons}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _init(path: Path) -> int:
    from . import keyfile
    from .registry import credentials

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(resources.files(__package__).joinpath("district.example.toml").read_text("utf-8"), "utf-8")
        print(f"wrote {path}: edit [district], [database] and [mqtt]")
    settings = load(path)
    credentials.hub_password(settings)
    keyfile.load_or_create(keyfile.console_key_path(path))
    from .hub import open_database
    open_database(settings).dispose()
    print(f"hub account '{credentials.hub_user(settings)}': {credentials.accounts(settings).note}; database ready. "
          "Next: vstation district add-user NAME --role admin")
    return 0


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from .hub import open_database, run_hub

    if args.action in (None, "run"):
        return run_hub(settings, console=not getattr(args, "no_console", False))
    engine = open_database(settings)
    try:
        if args.action == "migrate":
            return 0
        if args.action == "stations":
            return _stations(engine)
        if args.action in ("add-station", "rotate-keys", "remove-station"):
            return _registry(engine, settings, args)
        return _user(engine, args)
    finally:
        engine.dispose()


def _stations(engine) -> int:
    from . import board
    from .db.engine import reading

    with reading(engine) as conn:
        for row in board.registered(conn, with_removed=True):
            state = "removed" if row.removed_at else ("online" if row.online else "offline")
            print(f"{row.id}\t{row.name}\t{state}\tversion {row.version or '-'}\tepoch {row.epoch or '-'}")
    return 0


def _registry(engine, settings: Settings, args: argparse.Namespace) -> int:
    from .registry import credentials

    if args.action == "remove-station":
        credentials.remove(engine, settings, args.station)
        print(f"station {args.station} removed: {credentials.accounts(settings).note}")
        return 0
    if args.action == "add-station":
        kit = credentials.add(engine, settings, args.station, args.name, station_dir=args.station_dir,
                              grid=args.grid)
    else:
        kit = credentials.rotate(engine, settings, args.station, station_dir=args.station_dir)
    print("\n".join(kit.lines()))
    return 0


def _user(engine, args: argparse.Namespace) -> int:
    from kiosk.base.clock import utc_now

    from . import accounts
    from .db.engine import writing

    password = _password(args.stdin)
    with writing(engine) as conn:
        if args.action == "add-user":
            accounts.create_user(conn, args.username, password, args.role, utc_now())
        else:
            accounts.set_password(conn, args.username, password)
    print(f"{args.action.replace('-', ' ')}: {args.username} done")
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password (at least 10 characters): ")
    if getpass.getpass("the same again: ") != first:
        raise DistrictError("the two passwords differ; nothing changed")
    return first
