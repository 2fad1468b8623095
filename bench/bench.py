#!/usr/bin/env python3
"""pg-caravan benchmark: the guide's hand path (A), pg-caravan with its defaults (B), pgcopydb
clone (C) and the guides' online path `pg_dump | psql` (D), alternating A B C D A B C D ... on the
local stack, at several database sizes, over loopback and over a shaped link (bench/link.py).

    bench/run.sh [--sizes 0.3,1,3] [--links loopback,100mbit] [--rounds 3] [--tools ABCD] [--report X]

Needs the local stack (scripts/local-stack.sh, which bench/run.sh starts) and root. The source
databases (bench_0_3, bench_1, bench_3 on 127.0.0.1:55432) are generated once by bench/datagen.sql
and kept; every run restores into a fresh bench_dst on 127.0.0.1:55433.
"""
import argparse
import base64
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chart  # noqa: E402
from link import NS_IP, ShapedLink  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("CARAVAN_STACK_DIR", "/var/lib/pg-caravan-stack"))
WORK = REPO / "data" / "bench"
SRC_PORT, DST_PORT, SSH_PORT = 55432, 55433, 2222
USER = "caravan_admin"
DST_DB = "bench_dst"
DROP = STACK / "drop"
API = "http://127.0.0.1:8089"
GENERATOR = "pg-caravan bench datagen v3"
CORES = os.cpu_count() or 1

# --ablation: pg-caravan with one default after the other switched back, each a run override
# (job "<db>_plain" is the job without the parallel restore's session setting, "_nopipe" without the
# pipelined restore)
VARIANTS = {
    "B0": ("before: custom format, gzip 6, 1 job, single-transaction restore",
           "", {"dumpFormat": "custom", "dumpCompression": 6, "restoreMode": "single-transaction"}),
    "B1": ("directory format, 2 jobs, gzip 6, single-transaction", "",
           {"dumpFormat": "directory", "dumpCompression": 6, "restoreMode": "single-transaction"}),
    "B2": ("directory, 2 jobs, gzip 1, single-transaction", "",
           {"dumpFormat": "directory", "dumpCompression": 1, "restoreMode": "single-transaction"}),
    "B3": ("directory, 2 jobs, uncompressed, single-transaction", "",
           {"dumpFormat": "directory", "dumpCompression": 0, "restoreMode": "single-transaction"}),
    "B4": ("as B but with the server's parallel workers per index build", "_plain", {}),
    "B5": ("as B but 4 restore jobs", "", {"restoreJobs": 4}),
    "B6": ("as B but gzip level 1 by pg_dump (no zstd on the way up)", "", {"dumpCompression": 1}),
    "B7": ("as B but without the pipelined restore (restore.pipelined=false)", "_nopipe", {}),
    "B8": ("as B but tables in pieces above 1 GB (default 200 MB, E's threshold)", "_split1g", {}),
    "B9": ("as B but every table whole (dump.split-tables-larger-than=0)", "_whole", {}),
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def db_name(size):
    """bench_1 for the shop dataset of 1 GB, bench_giant_2 for the giant-table one of 2 GB ("g2")."""
    return "bench_" + str(size).replace(".", "_").replace("g", "giant_")


def size_label(size):
    return f"{size[1:]} GB, one giant table" if str(size).startswith("g") else f"{size} GB"


def passfile():
    """One libpq password file for both clusters, so no password is on a command line."""
    p = WORK / "pgpass"
    if not getattr(passfile, "written", False):
        passfile.written = True
        src = (STACK / "secrets/source.password").read_text().strip()
        dst = (STACK / "secrets/destination.password").read_text().strip()
        p.unlink(missing_ok=True)
        p.touch(0o600)
        p.write_text(f"127.0.0.1:{SRC_PORT}:*:{USER}:{src}\n127.0.0.1:{DST_PORT}:*:{USER}:{dst}\n"
                     f"{NS_IP}:{DST_PORT}:*:{USER}:{dst}\n")
    return p


def env():
    e = dict(os.environ, PGPASSFILE=str(passfile()), PGUSER=USER, PGHOST="127.0.0.1")
    e.pop("PGPASSWORD", None)
    return e


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, env=env(), **kw)


def psql(port, db, sql):
    out = run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", db, "-c", sql],
              capture_output=True, text=True).stdout
    return out.strip()


def conninfo(port, db, host="127.0.0.1"):
    return f"host={host} port={port} user={USER} dbname={db}"


class Far:
    """Where the far side is for a tool: the intermediate host's sshd and the destination as seen
    from the data centre (directly on loopback, across the shaped link otherwise)."""

    def __init__(self, link=None):
        self.link = link
        self.ssh_host = NS_IP if link else "127.0.0.1"
        self.known_hosts = link.known_hosts if link else STACK / "client/known_hosts"
        self.dst_host = NS_IP if link else "127.0.0.1"


def sftp_put(far, local, remote):
    run(["sftp", "-q", "-b", "-", "-P", str(SSH_PORT), "-i", str(STACK / "client/id_ed25519"),
         "-o", f"UserKnownHostsFile={far.known_hosts}", "-o", "BatchMode=yes",
         f"caravan-drop@{far.ssh_host}"], input=f"put {local} {remote}\n", text=True, stdout=subprocess.DEVNULL)


# --- machine-wide CPU use ----------------------------------------------------------------------

def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v[:8]), idle


TICK = os.sysconf("SC_CLK_TCK")


def pid_from(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def tree_ticks(pid):
    """A process's CPU time with that of the children it has reaped (a postmaster's backends, an sshd's sessions)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0
    return sum(int(x) for x in fields[11:15])  # utime stime cutime cstime


def part_ticks():
    """CPU ticks so far of the servers every tool shares: each cluster's postmaster, the sshds (the rest is the tool's)."""
    parts = {"source": pid_from("/var/lib/postgresql/15/caravan_src/postmaster.pid"),
             "destination": pid_from("/var/lib/postgresql/15/caravan_dst/postmaster.pid"),
             "sshd": [pid_from(STACK / "sshd/sshd.pid"), pid_from(WORK / "wan-sshd.pid")]}
    return {k: sum(tree_ticks(p) for p in (v if isinstance(v, list) else [v]) if p) for k, v in parts.items()}


class Meter:
    """Wall time and the machine's CPU use (share of all cores busy) over a block, and CPU seconds by part."""

    def __enter__(self):
        self.t0 = time.monotonic()
        self.c0 = cpu_times()
        self.p0 = part_ticks()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.t0
        total, idle = (a - b for a, b in zip(cpu_times(), self.c0))
        self.cpu = 100.0 * (total - idle) / total if total else 0.0
        p1 = part_ticks()
        self.parts = {k: (p1[k] - self.p0[k]) / TICK for k in p1}
        # the machine's busy time less the servers': the tool itself (its children, the link's forwarders)
        self.parts["tool"] = max(0.0, (total - idle) / TICK - sum(self.parts.values()))


# --- the source databases ----------------------------------------------------------------------

def ensure_source(size):
    db = db_name(size)
    # the giant-table dataset: the shop at about a quarter of the size, and events holding ~80% of
    # it (one table with its primary key and an index; datagen.sql's events rows times ten)
    giant = str(size).startswith("g")
    scale, events = (float(size[1:]) * 0.238, 10) if giant else (size, 1)
    marker = f"{GENERATOR} scale={size}" + (f" (shop scale {scale:g}, events x{events})" if giant else "")
    have = psql(SRC_PORT, "postgres", f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{db}'")
    if have == marker:
        return db
    log(f"generating source database {db} ({size_label(size)}), once")
    psql(SRC_PORT, "postgres", f"DROP DATABASE IF EXISTS {db}")
    psql(SRC_PORT, "postgres", f"CREATE DATABASE {db}")
    with Meter() as m:
        run(["psql", "-X", "-q", "-p", str(SRC_PORT), "-d", db, "-v", f"scale={scale}", "-v", f"events={events}", "-f", str(REPO / "bench/datagen.sql")],
            stdout=subprocess.DEVNULL)
    psql(SRC_PORT, "postgres", f"COMMENT ON DATABASE {db} IS '{marker}'")
    log(f"{db}: {psql(SRC_PORT, db, 'SELECT pg_size_pretty(pg_database_size(current_database()))')} in {m.seconds:.0f} s")
    return db


def tables(port, db):
    return psql(port, db, "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1").split("\n")


def fresh_destination():
    psql(DST_PORT, "postgres", f"DROP DATABASE IF EXISTS {DST_DB} WITH (FORCE)")


def clear_drop():
    for p in DROP.iterdir():
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


# --- A: the guide's hand path ------------------------------------------------------------------

def hand_path(src_db, far):
    hand = WORK / "hand"
    shutil.rmtree(hand, ignore_errors=True)
    hand.mkdir(parents=True)
    dump = hand / "bench.dump"
    phases = {}
    with Meter() as total:
        psql(DST_PORT, "postgres", f"CREATE DATABASE {DST_DB}")
        with Meter() as m:
            run(["pg_dump", "-Fc", "--no-tablespaces", "-p", str(SRC_PORT), "-d", src_db, "-f", str(dump)])
        phases["dump"] = m.seconds
        with Meter() as m:
            sftp_put(far, dump, DROP / "bench.dump")
        phases["copy"] = m.seconds
        with Meter() as m:
            run(["pg_restore", "--single-transaction", "--exit-on-error", "--no-tablespaces",
                 "-p", str(DST_PORT), "-d", DST_DB, str(DROP / "bench.dump")])
        phases["restore"] = m.seconds
        with Meter() as m:
            # what the guide means by "confirm the row counts match": count(*) of every table, both sides
            for port, db in ((SRC_PORT, src_db), (DST_PORT, DST_DB)):
                counts = {t: psql(port, db, f"SELECT count(*) FROM {t}") for t in tables(port, db)}
                if port == SRC_PORT:
                    expected = counts
            if counts != expected:
                raise RuntimeError(f"hand path: counts differ {expected} vs {counts}")
        phases["count"] = m.seconds
    return {"seconds": total.seconds, "cpu": total.cpu, "phases": phases, "cpuParts": total.parts,
            "bytes": dump.stat().st_size}


# --- C: pgcopydb clone -------------------------------------------------------------------------

SPLIT = "200MB"  # E: pgcopydb's same-table concurrency above this size


def pgcopydb(src_db, far, split=None):
    d = WORK / "pgcopydb"
    shutil.rmtree(d, ignore_errors=True)
    with Meter() as total:
        psql(DST_PORT, "postgres", f"CREATE DATABASE {DST_DB}")
        run(["pgcopydb", "clone", "--source", conninfo(SRC_PORT, src_db), "--target", conninfo(DST_PORT, DST_DB, far.dst_host),
             "--table-jobs", str(CORES), "--index-jobs", str(CORES), "--dir", str(d), "--no-owner",
             *(["--split-tables-larger-than", split] if split else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # on a failure pgcopydb signals its whole process group
    return {"seconds": total.seconds, "cpu": total.cpu, "phases": {}, "cpuParts": total.parts}


# --- D: pg_dump | psql, the guides' online path ----------------------------------------------------

def dump_to_psql(src_db, far):
    with Meter() as total:
        psql(DST_PORT, "postgres", f"CREATE DATABASE {DST_DB}")
        dump = subprocess.Popen(["pg_dump", "--no-owner", "--no-tablespaces", "-p", str(SRC_PORT), "-d", src_db],
                                stdout=subprocess.PIPE, env=env())
        load = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", far.dst_host, "-p", str(DST_PORT),
                               "-d", DST_DB], stdin=dump.stdout, stdout=subprocess.DEVNULL, env=env())
        dump.stdout.close()
        if dump.wait() or load.returncode:
            raise RuntimeError(f"pg_dump | psql: exit {dump.returncode} / {load.returncode}")
    return {"seconds": total.seconds, "cpu": total.cpu, "phases": {}, "cpuParts": total.parts}


# --- B: pg-caravan -----------------------------------------------------------------------------

class Caravan:
    """The packaged app, started once per size with a job for that size; runs are started over HTTP."""

    def __init__(self, sizes, wan_known_hosts=None):
        self.auth = "Basic " + base64.b64encode(
            ("operator:" + (STACK / "secrets/api.password").read_text().strip()).encode()).decode()
        props = WORK / "bench.properties"
        lines = ["config_ordinal=270", "quarkus.http.port=8089", f"caravan.data-dir={WORK / 'app'}"]
        links = ("", "_wan") if wan_known_hosts else ("",)
        for size, suffix, far in ((s, x, w) for s in sizes for x in ("", "_plain", "_nopipe", "_split1g", "_whole") for w in links):
            job = f"caravan.jobs.{db_name(size)}{suffix}{far}"
            if suffix == "_plain":
                lines += [f"{job}.restore.settings.max_parallel_maintenance_workers=default"]
            if suffix == "_nopipe":
                lines += [f"{job}.restore.pipelined=false"]
            if suffix in ("_split1g", "_whole"):
                lines += [f"{job}.dump.split-tables-larger-than={'1G' if suffix == '_split1g' else '0'}"]
            if far:  # the intermediate host across the shaped link
                lines += [f"{job}.intermediate.host={NS_IP}", f"{job}.intermediate.known-hosts={wan_known_hosts}"]
            lines += [f"{job}.{k}={v}" for k, v in {
                "source.host": "127.0.0.1", "source.port": SRC_PORT, "source.database": db_name(size),
                "source.user": USER, "source.password-file": STACK / "secrets/source.password",
                "destination.host": "127.0.0.1", "destination.port": DST_PORT, "destination.database": DST_DB,
                "destination.user": USER, "destination.password-file": STACK / "secrets/destination.password",
                "intermediate.port": SSH_PORT, "intermediate.user": "caravan-drop",
                "intermediate.private-key": STACK / "client/id_ed25519", "intermediate.drop-dir": DROP,
            }.items()]
            if not far:
                lines += [f"{job}.intermediate.host=127.0.0.1", f"{job}.intermediate.known-hosts={STACK / 'client/known_hosts'}"]
        props.write_text("\n".join(lines) + "\n")
        self.props = props
        self.proc = None

    def start(self):
        jvm_opts = os.environ.get("CARAVAN_BENCH_JAVA_OPTS", "").split()
        self.log = open(WORK / "app.log", "a")
        self.proc = subprocess.Popen(
            ["java", f"@{REPO / 'config/jvm.options'}", *jvm_opts, f"-Dquarkus.config.locations={REPO / 'config/local-stack.properties'},{self.props}",
             "-jar", str(REPO / "target/quarkus-app/quarkus-run.jar")],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, MALLOC_ARENA_MAX=os.environ.get("MALLOC_ARENA_MAX", "2")))  # as the Dockerfile ships it
        for _ in range(240):
            try:
                urllib.request.urlopen(API + "/q/health/ready", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"pg-caravan did not start, see {WORK / 'app.log'}")
                time.sleep(0.5)
        raise RuntimeError("pg-caravan did not become ready")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(60)
            self.log.close()

    def api(self, path, body=None):
        req = urllib.request.Request(API + path, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": self.auth, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def migrate(self, src_db, far, job_suffix="", overrides=None):
        with Meter() as total:
            run_id = self.api(f"/api/jobs/{src_db}{job_suffix}{'_wan' if far.link else ''}/runs", overrides or {})["id"]
            while True:
                view = self.api(f"/api/runs/{run_id}")
                if view["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    break
                # (polled every 0.1 s, the API's answers took a core's share on 2 cores: the end is the
                # run's own finishedAt, on this machine's clock, so a slower poll loses no accuracy)
                time.sleep(0.5)
            seen = time.time()
        if view.get("finishedAt"):
            late = seen - dt.datetime.fromisoformat(view["finishedAt"].replace("Z", "+00:00")).timestamp()
            total.seconds -= min(max(0.0, late), 0.6)
        if view["status"] != "SUCCEEDED":
            raise RuntimeError(f"pg-caravan run {run_id} {view['status']}: {view.get('error')}")
        phases = {}
        for s in view["stages"]:
            phases[s["name"]] = (s.get("durationMs") or 0) / 1000
            if s["name"] == "upload":
                # the pipelined restore finishing what has arrived, between the upload and the checksum stage
                after = next((x for x in view["stages"] if x["name"] == "checksum"), None)
                if after and s.get("finishedAt") and after.get("startedAt"):
                    phases["early restore"] = max(0.0, (dt.datetime.fromisoformat(after["startedAt"])
                                                        - dt.datetime.fromisoformat(s["finishedAt"])).total_seconds())
        details = {s["name"]: s.get("detail") for s in view["stages"]}
        # a succeeded run keeps its checked copy of the delivery in its work directory (for a
        # re-verification); the bench never re-verifies, and 3 GB runs kept filled the disk
        shutil.rmtree(WORK / "app" / "work" / run_id / "delivery", ignore_errors=True)
        return {"seconds": total.seconds, "cpu": total.cpu, "phases": phases, "details": details, "cpuParts": total.parts,
                "run": run_id, "runSeconds": (view.get("durationMs") or 0) / 1000}


# --- the SFTP clients on one file ----------------------------------------------------------------

def random_file(name, mb):
    f = WORK / name
    if not f.exists() or f.stat().st_size != mb << 20:
        with open(f, "wb") as out:
            for _ in range(mb):
                out.write(os.urandom(1 << 20))
    return f


def jsch_put(host, known, f, mb, cipher=None, streams=1, bulk=None):
    """MB/s of JSch (pg-caravan's client) sending f `streams` times at once (mb each), or None if refused."""
    cp = [str(next((REPO / "target/quarkus-app/lib/main").glob("com.github.mwiede.jsch-*.jar")))]
    if cipher and "chacha20" in cipher:  # JSch's ChaCha20-Poly1305 is Bouncy Castle's, which the app does not ship
        cp += [str(p) for p in Path.home().glob(".m2/repository/org/bouncycastle/bcprov-jdk18on/*/bcprov-jdk18on-*.jar")][:1]
    props = [f"-D{k}={v}" for k, v in (("cipher", cipher), ("streams", streams), ("bulk", bulk)) if v]
    out = subprocess.run(["java", "-cp", ":".join(cp), *props, str(REPO / "bench/SftpThroughput.java"), host, str(SSH_PORT),
                          "caravan-drop", str(STACK / "client/id_ed25519"), str(known), str(f), f"{DROP}/sftp-probe.bin"],
                         capture_output=True, text=True)
    clear_drop()
    return streams * mb / float(out.stdout.split()[0]) if out.returncode == 0 and out.stdout else None


# the SFTP clients on loopback, by cipher (CPU-bound there): OpenSSH's sftp and JSch
CIPHERS = ("chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr")
# over the shaped link: JSch as pg-caravan uses it (one stream, 16 requests in flight) against a wider
# window and parallel connections, the same bytes in all
LINK_CASES = (("1 stream (as pg-caravan)", 1, None), ("1 stream, 64 requests in flight", 1, 64),
              ("2 streams", 2, None), ("4 streams", 4, None))


def sftp_clients(mb, rounds, shaped, links):
    """MB/s of the SFTP clients uploading random files: {case: MB/s}."""
    rates = {}

    def note(case, rate):
        rates.setdefault(case, []).append(rate)
        log(f"SFTP {case}: " + ("refused" if rate is None else f"{rate:.1f} MB/s"))

    if not list(Path.home().glob(".m2/repository/org/bouncycastle/bcprov-jdk18on/*/*.jar")):  # for JSch's chacha20 only
        subprocess.run([str(REPO / "mvnw"), "-q", "-B", "dependency:get", "-Dartifact=org.bouncycastle:bcprov-jdk18on:1.87"],
                       check=False, capture_output=True)
    f = random_file("sftp-probe.bin", mb)
    known = STACK / "client/known_hosts"
    for _ in range(rounds):
        for c in (None,) + CIPHERS:
            with Meter() as m:
                ok = subprocess.run(["sftp", "-q", "-b", "-", "-P", str(SSH_PORT), "-i", str(STACK / "client/id_ed25519"),
                                     "-o", f"UserKnownHostsFile={known}", "-o", "BatchMode=yes"]
                                    + (["-c", c] if c else []) + ["caravan-drop@127.0.0.1"],
                                    input=f"put {f} {DROP}/sftp-probe.bin\n", text=True, stdout=subprocess.DEVNULL).returncode == 0
            clear_drop()
            note(f"loopback, OpenSSH sftp, {c or 'its default (chacha20-poly1305)'}", mb / m.seconds if ok else None)
        for c in (None,) + CIPHERS:
            note(f"loopback, JSch, {c or 'its default (as pg-caravan)'}", jsch_put("127.0.0.1", known, f, mb, c))
    # (no round-trip time on the shaped link: this machine's kernel has no netem)
    for link in links:
        shaped.up(link)
        try:
            for _ in range(rounds):
                for name, streams, bulk in LINK_CASES:
                    each = max(1, mb // 4 // streams)
                    note(f"{link}, JSch {name}", jsch_put(NS_IP, shaped.known_hosts, random_file(f"sftp-probe-{streams}.bin", each),
                                                          each, streams=streams, bulk=bulk))
        finally:
            shaped.down()
    return {k: median([x for x in v if x is not None]) if any(x is not None for x in v) else None for k, v in rates.items()}


# --- the report --------------------------------------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 1024 / 1024
    pg = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.strip()
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    copydb = subprocess.run(["pgcopydb", "--version"], capture_output=True, text=True, env=env())
    ver = next((l for l in (copydb.stdout + copydb.stderr).splitlines() if "pgcopydb version" in l), "pgcopydb ?")
    ver = ver[ver.index("pgcopydb version"):] if "pgcopydb version" in ver else ver
    return (f"{CORES} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}; "
            f"{pg}; {java}; {ver}; OpenSSH `sftp` over loopback")


def report(results, rounds, tools, sftp=None):
    out = [f"Run of {dt.datetime.now():%Y-%m-%d %H:%M}, {rounds} rounds ({' '.join(tools)} alternating), "
           f"medians. Machine: {machine()}.", ""]
    out += ["| size, link | source | A hand path | B pg-caravan | C pgcopydb | D pg_dump \\| psql "
            f"| E pgcopydb split > {SPLIT} | B/A | B/C | B/D | B/E | B per GB | B peak RSS | CPU A / B / C / D / E |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size, r in results.items():
        med = {t: median([x["seconds"] for x in r[t]]) for t in tools}
        cpu = {t: median([x["cpu"] for x in r[t]]) for t in tools}
        ratio = lambda a, b: f"{med[a] / med[b]:.2f}" if a in med and b in med else "–"
        secs = lambda t: f"{med[t]:.1f} s" if t in med else "–"
        per_gb = f"{med['B'] / (r['sourceBytes'] / 1e9):.1f} s" if "B" in med else "–"
        rss = f"{r['peakRssMb']:.0f} MB" if r.get("peakRssMb") else "–"
        cpus = " / ".join(f"{cpu[t]:.0f}%" if t in cpu else "–" for t in "ABCDE")
        out.append(f"| {size} | {r['sourceSize']} | {secs('A')} | {secs('B')} | {secs('C')} | {secs('D')} | {secs('E')} "
                   f"| {ratio('B', 'A')} | {ratio('B', 'C')} | {ratio('B', 'D')} | {ratio('B', 'E')} | {per_gb} | {rss} | {cpus} |")
    variants = [t for t in tools if t in VARIANTS]
    if variants:
        out += ["", "pg-caravan with a default switched back (medians, same rounds):", "",
                "| size | variant | time | B (defaults) / variant |", "|---|---|---|---|"]
        for size, r in results.items():
            b = median([x["seconds"] for x in r["B"]]) if r.get("B") else float("nan")
            for t in variants:
                m = median([x["seconds"] for x in r[t]])
                out.append(f"| {size} | {t}: {VARIANTS[t][0]} | {m:.1f} s | {b / m:.2f} |")
    out += ["", "Phases (medians, seconds):", ""]
    for size, r in results.items():
        for t in tools:
            if not r[t] or not r[t][0]["phases"]:
                continue
            names = list(r[t][0]["phases"])
            cells = ", ".join(f"{n} {median([x['phases'].get(n, 0) for x in r[t]]):.1f}" for n in names)
            out.append(f"- {size} {t}: {cells}")
    if sftp:
        out += ["", "SFTP clients, random files over the same sshd (medians; on the shaped link a quarter of the "
                "bytes, shared out over the streams):", "", "| case | MB/s |", "|---|---|"]
        out += [f"| {k} | {'refused' if v is None else f'{v:.1f}'} |" for k, v in sftp.items()]
    if any(r.get("B") for r in results.values()):
        out += ["", "B's stage details (last round):", ""]
        for size, r in results.items():
            if r.get("B"):
                out.append(f"- {size}: " + "; ".join(f"{k}: {v}" for k, v in r["B"][-1]["details"].items() if v))
    return "\n".join(out) + "\n"


def main():
    # a TERM runs the clean-up (the shaped link's namespace, sshd and forwarders; the app) as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.3,1,3", help="database sizes in GB, comma-separated; g2: the giant-table dataset of 2 GB")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tools", default="ABCD", help="which of A (hand path), B (pg-caravan), C (pgcopydb), D (pg_dump | psql), "
                    f"E (pgcopydb splitting tables above {SPLIT})")
    ap.add_argument("--links", default="loopback", help="loopback, 100mbit, 1gbit (comma-separated): where the far side is")
    ap.add_argument("--report", default=str(WORK / "report.md"))
    ap.add_argument("--ablation", nargs="?", const=",".join(VARIANTS), default="",
                    help="also run B with each default switched back (B0-B6, or the ones listed: B3,B4)")
    ap.add_argument("--report-from", help="write the report from an earlier run's results.json (no runs)")
    ap.add_argument("--sftp-mb", type=int, default=512, help="size of the file the SFTP clients upload (0: skip)")
    ap.add_argument("--sftp-links", default="", help="also measure the SFTP clients over these shaped links (100mbit,1gbit): "
                    "parallel streams and a wider window")
    args = ap.parse_args()
    # (--sizes "": no migrations, e.g. only the SFTP clients)
    sizes = [s if s.startswith("g") else float(s) if "." in s else int(s) for s in args.sizes.split(",") if s]
    tools = list(args.tools) + [v for v in args.ablation.split(",") if v]
    unknown = [t for t in tools if t not in ("A", "B", "C", "D", "E") and t not in VARIANTS]
    if unknown:
        ap.error(f"unknown tools or variants: {', '.join(unknown)}")
    links = args.links.split(",")
    if any(k not in ("loopback", "100mbit", "1gbit") for k in links):
        ap.error(f"unknown link in {args.links}")
    WORK.mkdir(parents=True, exist_ok=True)
    results = {}
    shaped = ShapedLink(STACK, WORK, SSH_PORT, DST_PORT)
    caravan = (Caravan(sizes, shaped.known_hosts if links != ["loopback"] else None)
               if any(t.startswith("B") for t in tools) and not args.report_from else None)
    if args.report_from:
        results = json.loads(Path(args.report_from).read_text())
        tools = [t for t in tools if all(t in r for r in results.values())]
    for size in ([] if args.report_from else sizes):
        src = ensure_source(size)
        if caravan:
            caravan.start()
        try:
            for link in links:
                label = size_label(size) + ("" if link == "loopback" else f", {link}")
                far = Far(shaped.up(link) if link != "loopback" else None)
                r = results[label] = {t: [] for t in tools}
                r["sourceSize"] = psql(SRC_PORT, src, "SELECT pg_size_pretty(pg_database_size(current_database()))")
                r["sourceBytes"] = int(psql(SRC_PORT, src, "SELECT pg_database_size(current_database())"))
                try:
                    for i in range(args.rounds):
                        for t in tools:
                            fresh_destination()
                            clear_drop()
                            if t in VARIANTS:
                                res = caravan.migrate(src, far, VARIANTS[t][1], VARIANTS[t][2])
                            else:
                                res = {"A": hand_path, "B": caravan.migrate if caravan else None,
                                       "C": pgcopydb, "D": dump_to_psql,
                                       "E": lambda s, f: pgcopydb(s, f, SPLIT)}[t](src, far)
                            r[t].append(res)
                            log(f"{label} round {i + 1} {t}: {res['seconds']:.1f} s, CPU {res['cpu']:.0f}% ("
                                + ", ".join(f"{k} {v:.1f}" for k, v in res.get("cpuParts", {}).items()) + " CPU-s) "
                                + ", ".join(f"{k} {v:.1f}" for k, v in res["phases"].items()))
                finally:
                    shaped.down()
                if caravan:
                    r["peakRssMb"] = caravan.peak_rss_mb()
                    log(f"{label}: pg-caravan peak RSS so far {r['peakRssMb']:.0f} MB")
                (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
        finally:
            if caravan:
                caravan.stop()
    fresh_destination()
    clear_drop()
    sftp = sftp_clients(args.sftp_mb, args.rounds, shaped, [k for k in args.sftp_links.split(",") if k]) if args.sftp_mb else None
    text = report(results, args.rounds, tools, sftp)
    Path(args.report).write_text(text)
    if results:
        (WORK / "time.svg").write_text(chart.svg(results))  # where each tool's time goes
    print(text)


if __name__ == "__main__":
    sys.exit(main())
