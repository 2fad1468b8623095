#!/usr/bin/env python3
"""Fleet throughput: the same 30 small databases migrated by 1, 2 and 3 replicas of pg-caravan.

    bench/fleet.py [--replicas 1,2,3] [--rounds 2] [--databases 30] [--concurrency 2]

Each replica is the packaged app with caravan.fleet.enabled, all of them on one control database
(bench_fleet_control on 127.0.0.1:55433) and one data directory, as deploy/kubernetes/fleet/ runs
them. A case starts its replicas, queues one run of each of the 30 jobs at once (over the replicas'
APIs, in turn) and times from the first request to the last run SUCCEEDED; the rounds alternate
the cases (1 2 3 1 2 3 ...). Needs the local stack (scripts/local-stack.sh) and the package
(./mvnw package -DskipTests); bench/run.sh does both. Results: data/bench/fleet.json and a
Markdown table on standard output.
"""
import argparse
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import bench
from bench import DST_PORT, REPO, SRC_PORT, STACK, USER, log, psql

WORK = bench.WORK / "fleet"
CONTROL = "bench_fleet_control"
BASE_PORT = 8120


def source_db(i):
    return f"bench_fleet_{i}"


def ensure_sources(n):
    """n copies of the sample shop database (scripts/sample-db.sql), made once and kept."""
    have = set(psql(SRC_PORT, "postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'bench_fleet_%'").split())
    for i in range(n):
        if source_db(i) in have:
            continue
        psql(SRC_PORT, "postgres", f"CREATE DATABASE {source_db(i)} OWNER {USER}")
        bench.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", str(SRC_PORT), "-d", source_db(i),
                   "-f", str(REPO / "scripts/sample-db.sql")], capture_output=True)
    return psql(SRC_PORT, source_db(0), "SELECT pg_size_pretty(pg_database_size(current_database()))")


def fresh_control_and_destinations(n):
    psql(DST_PORT, "postgres", f"DROP DATABASE IF EXISTS {CONTROL} WITH (FORCE)")
    psql(DST_PORT, "postgres", f"CREATE DATABASE {CONTROL}")
    for i in range(n):
        psql(DST_PORT, "postgres", f"DROP DATABASE IF EXISTS {source_db(i)}_dst WITH (FORCE)")
    shutil.rmtree(WORK / "data", ignore_errors=True)


def properties(n, concurrency, port, replica):
    dst_password = (STACK / "secrets/destination.password").read_text().strip()
    lines = ["config_ordinal=270", f"quarkus.http.port={port}", f"caravan.data-dir={WORK / 'data'}",
             "quarkus.datasource.active=false", "quarkus.datasource.pgstore.active=true",
             f"quarkus.datasource.pgstore.jdbc.url=jdbc:postgresql://127.0.0.1:{DST_PORT}/{CONTROL}",
             f"quarkus.datasource.pgstore.username={USER}", f"quarkus.datasource.pgstore.password={dst_password}",
             "caravan.fleet.enabled=true", f"caravan.fleet.replica={replica}", "caravan.fleet.poll-ms=250",
             f"caravan.runs.concurrency={concurrency}"]
    for i in range(n):
        job = f"caravan.jobs.fleet-{i}"
        lines += [f"{job}.{k}={v}" for k, v in {
            "source.host": "127.0.0.1", "source.port": SRC_PORT, "source.database": source_db(i),
            "source.user": USER, "source.password-file": STACK / "secrets/source.password",
            "destination.host": "127.0.0.1", "destination.port": DST_PORT, "destination.database": source_db(i) + "_dst",
            "destination.user": USER, "destination.password-file": STACK / "secrets/destination.password",
            "intermediate.host": "127.0.0.1", "intermediate.port": bench.SSH_PORT, "intermediate.user": "caravan-drop",
            "intermediate.private-key": STACK / "client/id_ed25519", "intermediate.known-hosts": STACK / "client/known_hosts",
            "intermediate.drop-dir": bench.DROP, "conflicts": "replace",
        }.items()]
    p = WORK / f"{replica}.properties"
    p.write_text("\n".join(lines) + "\n")
    return p


class Replica:
    def __init__(self, name, port, props):
        self.name, self.port, self.props = name, port, props
        self.auth = "Basic " + __import__("base64").b64encode(
            ("operator:" + (STACK / "secrets/api.password").read_text().strip()).encode()).decode()

    def start(self):
        self.log = open(WORK / f"{self.name}.log", "a")
        self.proc = subprocess.Popen(
            ["java", f"@{REPO / 'config/jvm.options'}", f"-Dquarkus.config.locations={REPO / 'config/local-stack.properties'},{self.props}",
             "-jar", str(REPO / "target/quarkus-app/quarkus-run.jar")],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env=dict(os.environ, MALLOC_ARENA_MAX="2"))

    def ready(self):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/q/health/ready", timeout=2)
            return True
        except (urllib.error.URLError, ConnectionError):
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica {self.name} exited, see {WORK / (self.name + '.log')}")
            return False

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Authorization": self.auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(90)
        self.log.close()


def machine_busy():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def one_case(replicas, n, concurrency):
    fresh_control_and_destinations(n)
    (WORK / "data").mkdir(parents=True, exist_ok=True)
    fleet = [Replica(f"b{i + 1}", BASE_PORT + i, properties(n, concurrency, BASE_PORT + i, f"b{i + 1}")) for i in range(replicas)]
    for r in fleet:
        r.start()
    try:
        deadline = time.time() + 180
        while not all(r.ready() for r in fleet):
            if time.time() > deadline:
                raise RuntimeError("replicas not ready")
            time.sleep(0.5)
        busy0, total0 = machine_busy()
        t0 = time.monotonic()
        for i in range(n):
            fleet[i % replicas].post(f"/api/jobs/fleet-{i}/runs", {})
        while True:
            rows = psql(DST_PORT, CONTROL, "SELECT status, count(*) FROM caravan_run GROUP BY 1")
            counts = dict(line.split("|") for line in rows.splitlines() if line)
            if int(counts.get("FAILED", 0)) or int(counts.get("CANCELLED", 0)):
                raise RuntimeError(f"a run did not succeed: {counts}")
            if int(counts.get("SUCCEEDED", 0)) == n:
                break
            time.sleep(0.2)
        seconds = time.monotonic() - t0
        busy1, total1 = machine_busy()
        by = psql(DST_PORT, CONTROL, "SELECT replica, count(*) FROM caravan_run GROUP BY 1 ORDER BY 1")
        return {"replicas": replicas, "seconds": seconds, "runsPerMinute": n / seconds * 60,
                "machineCpu": (busy1 - busy0) / max(1, total1 - total0), "byReplica": by.replace("\n", ", ")}
    finally:
        for r in fleet:
            r.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", default="1,2,3")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--databases", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=2, help="caravan.runs.concurrency of each replica")
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    size = ensure_sources(a.databases)
    log(f"{a.databases} source databases of {size} each")
    cases = [int(x) for x in a.replicas.split(",")]
    results = []
    for rnd in range(a.rounds):
        for replicas in cases:
            r = one_case(replicas, a.databases, a.concurrency)
            r["round"] = rnd + 1
            results.append(r)
            log(f"{replicas} replica(s), round {rnd + 1}: {r['seconds']:.1f} s, {r['runsPerMinute']:.1f} runs/min, "
                f"machine CPU {r['machineCpu']:.0%} ({r['byReplica']})")
    (bench.WORK / "fleet.json").write_text(json.dumps({"databases": a.databases, "size": size, "concurrency": a.concurrency,
                                                        "cores": bench.CORES, "results": results}, indent=1))
    print(f"\n| replicas | runs at once (fleet) | rounds | median time for {a.databases} runs | runs per minute | vs 1 replica | machine CPU busy |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for replicas in cases:
        rs = [r for r in results if r["replicas"] == replicas]
        med = bench.median([r["seconds"] for r in rs])
        base = base or med
        cpu = bench.median([r["machineCpu"] for r in rs])
        times = ", ".join(f"{r['seconds']:.1f} s" for r in rs)
        print(f"| {replicas} | {replicas * a.concurrency} | {times} | {med:.1f} s | "
              f"{a.databases / med * 60:.1f} | {base / med:.2f}× | {cpu:.0%} |")


if __name__ == "__main__":
    main()
