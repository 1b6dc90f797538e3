"""``python -m bench``: seed, serve, load, report. See README.md, section Benchmark."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import database, load, report, scenarios, server
from bench.database import Target
from bench.load import LoadResult, Request

BYTES_PER_PATIENT = 110_000  # SQLite file size per seeded patient, with margin


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=int, default=10_000, help="patients (default 10000)")
    parser.add_argument("--clinics", type=int, default=2, help="clinics (default 2)")
    parser.add_argument(
        "--scale-check",
        action="store_true",
        help="also seed --scale-check-size patients and measure list, search and change feed there",
    )
    parser.add_argument("--scale-check-size", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL (postgresql+psycopg://...): seeds schema 'bench' there; "
        "default: a SQLite file under bench/.work/",
    )
    parser.add_argument(
        "--endpoints",
        help="comma-separated subset: " + ",".join(e.name for e in scenarios.ENDPOINTS),
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data set")
    parser.add_argument("--keep-db", action="store_true", help="keep the seeded databases")
    parser.add_argument("--output", type=Path, help="default bench/results/latest.json")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0:
        parser.error("--duration must be above 0 and --warmup at least 0")
    if min(args.scale, args.clinics, args.connections, args.workers, args.wrk_threads) < 1:
        parser.error("--scale, --clinics, --connections, --workers and --wrk-threads: at least 1")
    if args.endpoints:
        unknown = set(args.endpoints.split(",")) - set(scenarios.BY_NAME)
        if unknown:
            parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return args


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f} s] {message}", flush=True)


class Driver:
    """Warm up, then measure, with whichever generator this run uses."""

    def __init__(self, args: argparse.Namespace, wrk: str | None) -> None:
        self.args = args
        self.wrk = wrk

    def run(self, base_url: str, requests: list[Request], name: str) -> LoadResult:
        if self.args.warmup > 0:  # workers warm their caches and pools; not measured
            self._once(base_url, requests, f"{name}-warmup", self.args.warmup)
        return self._once(base_url, requests, name, self.args.duration)

    def _once(
        self, base_url: str, requests: list[Request], name: str, seconds: float
    ) -> LoadResult:
        options = {"seconds": seconds, "connections": self.args.connections}
        if self.wrk:
            return load.run_wrk(
                self.wrk, base_url, requests, threads=self.args.wrk_threads, name=name, **options
            )
        return load.run_python(base_url, requests, **options)


def check_disk(database_url: str | None, patients: int) -> None:
    if database_url:
        return
    database.WORK_DIR.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(database.WORK_DIR).free
    if free < patients * BYTES_PER_PATIENT:
        raise SystemExit(
            f"not enough disk for {patients:,} patients: {free / 1e9:.1f} GB free, "
            f"about {patients * BYTES_PER_PATIENT / 1e9:.1f} GB needed in {database.WORK_DIR}"
        )


def seed_dataset(args: argparse.Namespace, patients: int, role: str, clock: Clock) -> Any:
    from bench.seed import seed

    check_disk(args.database_url, patients)
    target = database.prepare(args.database_url, "bench" if role == "main" else "bench_scale")
    clock.log(f"seeding {patients:,} patients into {target.label}")
    seeded = seed(target, patients, clinics=args.clinics, rng_seed=args.seed, log=clock.log)
    clock.log(
        f"seeded in {seeded.seconds:.0f} s (migrations {seeded.migrate_seconds:.0f} s): "
        + ", ".join(f"{n:,} {t}" for t, n in seeded.rows.items())
    )
    return target, seeded


def measure(
    args: argparse.Namespace,
    driver: Driver,
    target: Target,
    seeded: Any,
    endpoints: list[scenarios.Endpoint],
    floors: tuple[str, ...],
    clock: Clock,
) -> dict[str, Any]:
    """Statement counts in-process, then the floors and the endpoints under load."""
    from bench import statements
    from bench.seed import make_app

    samples = scenarios.load_samples(target, seeded)
    app = make_app(target)
    tokens = statements.log_in(app, seeded.logins, seeded.password)
    requests = scenarios.build_requests(samples, tokens, seeded)
    counted = statements.count(
        app, {e.name: requests[e.name][0] for e in endpoints if e.kind != "mix"}
    )
    clock.log(
        "statements per request: " + ", ".join(f"{n} {c.statements}" for n, c in counted.items())
    )
    env = server.app_environment(target.url, os.environ["SECRET_KEY"])
    floor: dict[str, LoadResult] = {}
    floor_specs = {
        "bare": (server.FLOOR_BARE, [Request("GET", "/ping")]),
        "db": (server.FLOOR_DB, [Request("GET", f"/patients/{p.id}") for p in samples.patients]),
    }
    for key in floors:
        spec, floor_requests = floor_specs[key]
        with server.serving(spec, env, args.workers, f"floor-{key}") as base_url:
            floor[key] = driver.run(base_url, floor_requests, f"floor-{key}")
        clock.log(f"floor ({key}): {_brief(floor[key])}")
    results: dict[str, LoadResult] = {}
    with server.serving(server.APP, env, args.workers, "app") as base_url:
        for endpoint in endpoints:
            results[endpoint.name] = driver.run(base_url, requests[endpoint.name], endpoint.name)
            clock.log(f"{endpoint.label}: {_brief(results[endpoint.name])}")
    entries = []
    for endpoint in endpoints:
        if endpoint.kind == "mix":
            stmts: float | None = _mix_statements(counted)
            sql = None
        else:
            stmts, sql = counted[endpoint.name].statements, counted[endpoint.name].sql
        entries.append(
            report.endpoint_entry(endpoint, results[endpoint.name], stmts, sql, floor.get("db"))
        )
    return {
        "floor": {k: report.load_entry(v) for k, v in floor.items()},
        "endpoints": entries,
    }


def _mix_statements(counted: dict[str, Any]) -> float | None:
    weights = scenarios.CLINIC_DAY
    if not all(name in counted for name in weights):
        return None
    total = sum(weights.values())
    return round(sum(counted[n].statements * w for n, w in weights.items()) / total, 1)


def _brief(result: LoadResult) -> str:
    failed = f", {result.failed} failed {result.statuses}" if result.failed else ""
    return (
        f"{result.rps:.0f} req/s, p50 {result.latency_ms['p50']:.1f} ms, "
        f"p99 {result.latency_ms['p99']:.1f} ms{failed}"
    )


def dataset_entry(target: Target, seeded: Any) -> dict[str, Any]:
    return {
        "patients": seeded.patients,
        "clinics": len(seeded.clinic_ids),
        "database": target.label,
        "seed_seconds": seeded.seconds,
        "migrate_seconds": seeded.migrate_seconds,
        "rows": seeded.rows,
        "size_bytes": database.size_bytes(target),
    }


def scale_summary(small: dict[str, Any], large: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    by_name = {e["name"]: e for e in small["endpoints"]}
    rows = []
    for e in large["endpoints"]:
        before = by_name.get(e["name"])
        if before is None:
            continue
        p50_small, p50_large = before["latency_ms"]["p50"], e["latency_ms"]["p50"]
        rows.append(
            {
                "name": e["name"],
                "label": e["label"],
                "p50_small": p50_small,
                "p50_large": p50_large,
                "p50_growth": round(p50_large / p50_small, 2) if p50_small else None,
                "rps_small": before["rps"],
                "rps_large": e["rps"],
                "statements_large": e["statements"],
            }
        )
    return {
        "patients": sizes,
        "endpoints": rows,
        "floor": large["floor"],
        "detail": large["endpoints"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    clock = Clock()
    # The in-process app (seed, statement counts) runs exactly as the servers do.
    os.environ.update(server.app_environment())
    os.environ.pop("DATABASE_URL", None)
    wrk = None
    loadgen = "python (http.client, keep-alive threads)"
    if args.loadgen != "python":
        wrk = load.ensure_wrk(clock.log)
        if wrk:
            loadgen = f"wrk {load.wrk_version(wrk)}"
        elif args.loadgen == "wrk":
            raise SystemExit("--loadgen wrk: wrk is not installed and could not be installed")
    driver = Driver(args, wrk)
    chosen = [
        e for e in scenarios.ENDPOINTS if not args.endpoints or e.name in args.endpoints.split(",")
    ]
    clock.log(f"load generator: {loadgen}; {args.connections} connections, {args.workers} workers")
    busy = os.getloadavg()[0]
    if busy > 0.5:
        clock.log(f"warning: the machine is busy (load average {busy:.1f}); figures will be low")
    targets: list[Target] = []
    try:
        target, seeded = seed_dataset(args, args.scale, "main", clock)
        targets.append(target)
        version = database.server_version(target)
        kind = f"PostgreSQL {version}" if target.kind == "postgresql" else version
        results: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": report.machine(kind, loadgen),
            "parameters": {
                k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
            },
            "datasets": [dataset_entry(target, seeded)],
        }
        if args.database_url:
            results["parameters"]["database_url"] = database.redact(args.database_url)
        results.update(measure(args, driver, target, seeded, chosen, ("bare", "db"), clock))
        if args.scale_check:
            at_scale = [e for e in chosen if e.at_scale]
            big, big_seeded = seed_dataset(args, args.scale_check_size, "scale", clock)
            targets.append(big)
            results["datasets"].append(dataset_entry(big, big_seeded))
            large = measure(args, driver, big, big_seeded, at_scale, ("db",), clock)
            results["scale"] = scale_summary(results, large, [args.scale, args.scale_check_size])
    finally:
        if not args.keep_db:
            for target in targets:
                database.discard(target)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.monotonic() - clock.started, 1)
    paths = report.write(results, args.output)
    print()
    print(f"{results['machine']['database']}, {args.scale:,} patients, {loadgen}, "
          f"{args.connections} connections, {args.workers} gunicorn sync workers, "
          f"{args.duration:g} s per endpoint")  # fmt: skip
    print(report.table(results))
    if "scale" in results:
        print()
        print(report.scale_table(results["scale"]))
    print()
    print("targets:")
    print(report.target_lines(results["targets"]))
    print(f"\nwrote {', '.join(str(p) for p in paths)} in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
