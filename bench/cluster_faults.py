"""Faults during a drain of 1,000 stations on a three-node NATS cluster: a node and a hub worker killed.

A NATS cluster with JetStream (bench/_cluster.py; chosen over RabbitMQ by
bench/broker_cluster.py: RabbitMQ 3.10 keeps retained messages on one node
only) holds the stations' sessions and retained messages on 3 nodes. 1,000
light station twins speak MQTT 3.1.1 (NATS 2.9 takes no MQTT 5) and list all
three nodes (`mqtt.hosts`, each twin starting at another node); two hub
workers (`vstation district run --no-console`, `protocol = "3.1.1"`, the
three nodes in `mqtt.hosts`) write to one PostgreSQL. NATS 2.9's MQTT has no
shared subscriptions, so each worker has its own persistent session and
takes every message: the database's keys (event id; station, epoch, seq)
store each event once, whichever worker comes first. That is redundancy,
not load sharing (docs/operations.md, "Past one broker").

Every station goes offline and writes `--backlog` events, then all come back
at once; during the drain node 2 is killed (SIGKILL), then hub worker 1;
`--down-s` later both are started again. The run ends when every twin's
events are acknowledged; then the database is counted: stored once, lost,
stored twice, seq contiguous per station. The machine has 2 cores shared
with other work: the load average is printed.
Run: .venv/bin/python bench/cluster_faults.py [--stations 1000] [--backlog 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _cluster import NatsCluster
from _common import setting
from _procs import Meter, exit_on_sigterm
from district_fleet import (RESENDS, District, all_acked, check_stored, online_at_hub, register,
                            spawn_worker, start_workers, stop_workers, wait, written)
from hub import Rig
from postgres import Postgres
from twins.fleet import Fleet
from twins.station import StationTwin


def worker_lines(cluster: NatsCluster):
    """Worker i's [mqtt]: MQTT 3.1.1, the three nodes, starting at node i."""
    def lines(i: int) -> str:
        nodes = cluster.hosts()[i - 1:] + cluster.hosts()[:i - 1]
        listed = ", ".join(f'"{h}:{p}"' for h, p in nodes)
        return f'hosts = [{listed}]\nprotocol = "3.1.1"\nclient_id = "hub-{i}"\n'
    return lines


def make_fleet(d: District, cluster: NatsCluster, names: list[str]) -> Fleet:
    fleet = Fleet()
    nodes = cluster.hosts()
    for i, name in enumerate(names):
        fleet.add(StationTwin(name, d.passwords[name], hosts=nodes[i % 3:] + nodes[:i % 3], protocol="3.1.1",
                              telemetry_s=30.0, bind_address=f"127.3.{i // 250}.{i % 250 + 1}"))
    return fleet.start()


def faults(d: District, cluster: NatsCluster, fleet: Fleet, args: argparse.Namespace) -> tuple[list[str], bool]:
    """Offline backlog, all back; node 2 and worker 1 killed mid-drain, restarted `down_s` later. What happened
    when, and whether every event was acknowledged within `timeout`."""
    log = []
    fleet.call(lambda f: [t.go_offline(float("inf")) for t in f.twins])
    wait("offline", lambda: fleet.call(lambda f: not any(t.connected for t in f.twins)), 120)
    fleet.call(lambda f: [t.write(args.backlog, t.backlog.last_seq()) for t in f.twins])
    start = time.monotonic()
    fleet.call(lambda f: [t.back_online(start) for t in f.twins])
    time.sleep(args.kill_after_s)
    cluster.kill(1)
    log.append(f"{time.monotonic() - start:5.1f} s: node 2 killed (SIGKILL)")
    time.sleep(1.0)
    d.workers[0].kill()
    d.workers[0].wait(10)
    log.append(f"{time.monotonic() - start:5.1f} s: hub worker 1 killed (SIGKILL)")
    time.sleep(args.down_s)
    cluster.start(1)
    d.workers[0] = spawn_worker(d.rig, 1)
    log.append(f"{time.monotonic() - start:5.1f} s: node 2 and hub worker 1 started again")
    try:
        wait("drain", lambda: all_acked(fleet), args.timeout)
    except RuntimeError:                    # the store is still counted: stored is not the same as acknowledged
        waiting = fleet.call(lambda f: sum(1 for t in f.twins if t.drain.acked < t.backlog.last_seq()))
        log.append(f"{time.monotonic() - start:5.1f} s: NOT DRAINED: {waiting:,} stations still without the ack "
                   f"of their last event after {args.timeout:.0f} s")
        return log, False
    log.append(f"{time.monotonic() - start:5.1f} s: every event acknowledged (the drain took this long from the "
               "moment all came back)")
    return log, True


def run(args: argparse.Namespace) -> None:
    cluster = NatsCluster(consumer_replicas=args.consumer_replicas or None, consumer_memory=args.consumer_memory)
    postgres = Postgres().start()
    print(f"NATS mqtt {{}}: {cluster.describe()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="cluster-faults-"))
    fleet = None
    d = District(Rig(folder, postgres.create_database(), ingest={"replay_after_s": 30}), postgres)
    try:
        cluster.start_all()
        time.sleep(3)                                       # JetStream elects its meta leader
        names = [f"node-{i:05d}" for i in range(args.stations)]
        d.passwords = register(d.rig, names)
        d.workers = start_workers(d.rig, 2, worker_lines(cluster))
        wait("hub workers subscribed", lambda: all("connected as hub-" in (folder / f"hub-{i}.log").read_text()
                                                     for i in (1, 2)), 60)
        fleet = make_fleet(d, cluster, names)
        fleet.call(lambda f: [t.connect() for t in f.twins])
        took = wait("births at the hub", lambda: online_at_hub(d.rig) == args.stations, 300)
        print(f"{args.stations:,} stations online at the hub {took:.1f} s after connecting", flush=True)
        pg = int((postgres.data / "postmaster.pid").read_text().split()[0])
        meter = Meter(cluster.procs[0].pid, [w.pid for w in d.workers], pg)
        cpu0, t0, sent0, resends0 = meter.sample(), time.monotonic(), written(fleet), RESENDS.count
        lines, drained = faults(d, cluster, fleet, args)
        for line in lines:
            print("  " + line, flush=True)
        seconds = time.monotonic() - t0
        cpu1 = meter.sample()
        counts = check_stored(d, fleet)
        connects = fleet.call(lambda f: sum(t.figures.connects for t in f.twins))
        refused = fleet.call(lambda f: sum(t.figures.refused_subscriptions for t in f.twins))
        print(f"backlog {written(fleet) - sent0:,} events; connections made {connects:,} "
              f"({connects - args.stations:,} after the first); subscriptions refused and asked again {refused:,}; "
              f"re-sends {RESENDS.count - resends0:,}; "
              f"CPU over the drain: NATS node 1 {(cpu1['broker'] - cpu0['broker']) / seconds:.0%}, "
              f"PostgreSQL {(cpu1['postgres'] - cpu0['postgres']) / seconds:.0%}, "
              f"twins {(cpu1['twins'] - cpu0['twins']) / seconds:.0%}")
        print(f"events sent {counts['sent']:,}; stored once {counts['once']:,}; lost {counts['lost']:,}; "
              f"stored twice {counts['twice']:,}; stations whose seq is not 1..last {counts['not_contiguous']:,}")
        print(f"{setting()}", flush=True)
        if not drained:
            raise SystemExit(1)
    finally:
        if fleet:
            fleet.stop()
        stop_workers(d.workers)
        d.rig.close()
        postgres.close()
        cluster.close(keep=args.keep)
        if args.keep:
            print(f"kept {folder} and {cluster.folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=1000)
    p.add_argument("--backlog", type=int, default=30, help="events each station writes while offline")
    p.add_argument("--kill-after-s", type=float, default=2.0, help="into the drain, node 2 is killed")
    p.add_argument("--down-s", type=float, default=10.0, help="how long node 2 and worker 1 stay dead")
    p.add_argument("--timeout", type=float, default=900.0)
    p.add_argument("--consumer-replicas", type=int, default=1,
                   help="NATS mqtt.consumer_replicas (default 1, as docs/operations.md sets it; 0: as the "
                        "streams, 3)")
    p.add_argument("--consumer-memory", action="store_true", help="NATS mqtt.consumer_memory_storage: true")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    exit_on_sigterm()
    print(f"cluster faults: 3 NATS nodes (JetStream), {args.stations:,} twins on MQTT 3.1.1, 2 hub workers, "
          f"one PostgreSQL; ulimit -n {os.sysconf('SC_OPEN_MAX')}; {setting()}", flush=True)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
