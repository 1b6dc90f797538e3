"""The results: one dict for bench/results/*.json, and the tables printed from it."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.load import LoadResult
from bench.scenarios import Endpoint

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PACKAGES = (
    "flask",
    "werkzeug",
    "sqlalchemy",
    "flask-sqlalchemy",
    "marshmallow",
    "flask-smorest",
    "gunicorn",
    "psycopg",
    "argon2-cffi",
)
# The targets.
MIN_FLOOR_RATIO = 0.7  # single-resource authenticated reads vs floor (b), in requests/s
MAX_TAIL_RATIO = 2.0  # p99 / p50
MAX_SCALE_GROWTH = 1.3  # p50 at 100,000 patients / p50 at 10,000


def machine(database: str, loadgen: str) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "packages": versions,
        "database": database,
        "load_generator": loadgen,
        # Anything else running shares the 2 cores with the servers and wrk.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def load_entry(result: LoadResult) -> dict[str, Any]:
    p50 = result.latency_ms["p50"]
    return {
        "requests": result.requests,
        "ok": result.ok,
        "failed": result.failed,
        "seconds": round(result.seconds, 2),
        "rps": round(result.rps, 1),
        "latency_ms": result.latency_ms,
        "p99_over_p50": round(result.latency_ms["p99"] / p50, 2) if p50 else None,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "socket_errors": result.socket_errors,
    }


def endpoint_entry(
    endpoint: Endpoint,
    result: LoadResult,
    statements: float | None,
    sql: list[str] | None,
    floor_db: LoadResult | None,
) -> dict[str, Any]:
    entry = {"name": endpoint.name, "label": endpoint.label, "kind": endpoint.kind}
    entry.update(load_entry(result))
    entry["statements"] = statements
    if sql is not None:
        entry["sql"] = sql
    if floor_db is not None and floor_db.rps and result.latency_ms["p50"]:
        entry["floor_ratio_rps"] = round(result.rps / floor_db.rps, 3)
        entry["floor_ratio_p50"] = round(result.latency_ms["p50"] / floor_db.latency_ms["p50"], 2)
    return entry


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figures that pass or fail it."""
    checks = []
    for e in results["endpoints"]:
        if e["kind"] == "read" and "floor_ratio_rps" in e:
            checks.append(
                {
                    "check": f"{e['label']}: requests/s at least {MIN_FLOOR_RATIO}x floor (b)",
                    "value": e["floor_ratio_rps"],
                    "ok": e["floor_ratio_rps"] >= MIN_FLOOR_RATIO,
                }
            )
    for e in results["endpoints"]:
        if e["kind"] != "login" and e["p99_over_p50"] is not None:
            checks.append(
                {
                    "check": f"{e['label']}: p99 at most {MAX_TAIL_RATIO}x p50",
                    "value": e["p99_over_p50"],
                    "ok": e["p99_over_p50"] <= MAX_TAIL_RATIO,
                }
            )
    for s in results.get("scale", {}).get("endpoints", []):
        if s["name"] in ("patient_list", "patient_search"):
            checks.append(
                {
                    "check": f"{s['label']}: p50 at 100k within {MAX_SCALE_GROWTH}x of 10k",
                    "value": s["p50_growth"],
                    "ok": s["p50_growth"] is not None and s["p50_growth"] <= MAX_SCALE_GROWTH,
                }
            )
    for e in results["endpoints"]:
        if e["failed"]:
            checks.append(
                {"check": f"{e['label']}: every response 2xx", "value": e["failed"], "ok": False}
            )
    return checks


def write(results: dict[str, Any], output: Path | None) -> list[Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kind = results["machine"]["database"].split()[0].lower()
    paths = [output or RESULTS_DIR / "latest.json", RESULTS_DIR / f"{stamp}-{kind}.json"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return paths


def _row(cells: list[str], widths: list[int]) -> str:
    first, *rest = cells
    return f"{first:<{widths[0]}}" + "".join(
        f"{c:>{w}}" for c, w in zip(rest, widths[1:], strict=True)
    )


def _fmt(value: Any, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def table(results: dict[str, Any]) -> str:
    widths = [36, 9, 9, 9, 8, 7, 9, 9, 7]
    head = [
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99/p50",
        "stmts",
        "x fl(b)",
        "p50/fl",
        "failed",
    ]
    lines = [_row(head, widths), "-" * sum(widths)]
    for label, key in (
        ("floor (a): bare Flask", "bare"),
        ("floor (b): Flask-SQLAlchemy PK read", "db"),
    ):
        f = results["floor"].get(key)
        if f:
            cells = [label, _fmt(f["rps"]), _fmt(f["latency_ms"]["p50"], ".2f"),
                     _fmt(f["latency_ms"]["p99"], ".2f"), _fmt(f["p99_over_p50"], ".2f"),
                     "1" if key == "db" else "0", "", "", str(f["failed"])]  # fmt: skip
            lines.append(_row(cells, widths))
    lines.append("-" * sum(widths))
    for e in results["endpoints"]:
        cells = [
            e["label"][: widths[0] - 1],
            _fmt(e["rps"]),
            _fmt(e["latency_ms"]["p50"], ".2f"),
            _fmt(e["latency_ms"]["p99"], ".2f"),
            _fmt(e["p99_over_p50"], ".2f"),
            _fmt(e["statements"], ".0f" if isinstance(e["statements"], int) else ".1f"),
            _fmt(e.get("floor_ratio_rps"), ".2f"),
            _fmt(e.get("floor_ratio_p50"), ".1f"),
            str(e["failed"]),
        ]
        lines.append(_row(cells, widths))
    return "\n".join(lines)


def scale_table(scale: dict[str, Any]) -> str:
    small, large = scale["patients"]
    widths = [36, 12, 12, 8, 12, 12]
    head = ["endpoint", f"p50 {small // 1000}k", f"p50 {large // 1000}k", "growth",
            f"req/s {small // 1000}k", f"req/s {large // 1000}k"]  # fmt: skip
    lines = [_row(head, widths), "-" * sum(widths)]
    for s in scale["endpoints"]:
        cells = [
            s["label"],
            _fmt(s["p50_small"], ".2f"),
            _fmt(s["p50_large"], ".2f"),
            _fmt(s["p50_growth"], ".2f"),
            _fmt(s["rps_small"]),
            _fmt(s["rps_large"]),
        ]
        lines.append(_row(cells, widths))
    return "\n".join(lines)


def target_lines(checks: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  [{'ok' if c['ok'] else 'MISS'}] {c['check']}: {c['value']}" for c in checks
    )
