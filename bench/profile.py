"""``python -m bench.profile``: where one endpoint's time goes, in-process, on a kept data set.

Run ``python -m bench --keep-db`` once; then this sends each chosen endpoint's
requests through Flask's test client (no server, no load generator), reports
milliseconds per request next to the floor (b) app doing the same in-process,
and prints the functions that took the time under cProfile. It is the tool
for the "make it fast" loop: change, re-run, compare.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from typing import Any

from sqlalchemy import create_engine, select

from bench import scenarios, server, statements
from bench.database import WORK_DIR, Target
from bench.load import Request
from bench.seed import PASSWORD, Seeded, make_app

LOGINS = {
    "admin": "admin0@bench.clinic",
    "clinician": "clinician0@bench.clinic",
    "patient": "patient0@bench.clinic",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("endpoints", nargs="*", help="default: every single endpoint")
    parser.add_argument("--database-url", help="the PostgreSQL URL the bench was run with")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--top", type=int, default=0, help="print the top N functions (cProfile)")
    return parser.parse_args(argv)


def kept_target(database_url: str | None) -> Target:
    if database_url:
        from sqlalchemy import make_url

        url = make_url(database_url).update_query_dict({"options": "-csearch_path=bench"})
        rendered = url.render_as_string(hide_password=False)
        return Target(kind="postgresql", url=rendered, label="schema bench", schema="bench")
    path = WORK_DIR / "bench.db"
    if not path.exists():
        raise SystemExit(f"no kept data set at {path}: run python -m bench --keep-db first")
    return Target(kind="sqlite", url=f"sqlite:///{path}", label=str(path), path=path)


def first_clinic(target: Target) -> Any:
    from clinic.users.models import User

    engine = create_engine(target.url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(User.clinic_id).where(User.email == LOGINS["admin"])
            ).scalar_one()
    finally:
        engine.dispose()


def time_requests(client: Any, requests: list[Request], count: int) -> float:
    """Milliseconds per request over ``count`` requests (after a short warm-up)."""
    for request in requests[:20]:
        statements._send(client, request)
    started = time.perf_counter()
    for index in range(count):
        response = statements._send(client, requests[index % len(requests)])
        if response.status_code >= 300:
            raise RuntimeError(f"{requests[index % len(requests)].path}: {response.status_code}")
    return (time.perf_counter() - started) * 1000 / count


def floor_client(target: Target) -> Any:
    from bench.floor import db_app

    os.environ["DATABASE_URL"] = target.url
    return db_app().test_client()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(server.app_environment())
    target = kept_target(args.database_url)
    seeded = Seeded(patients=0, clinic_ids=[first_clinic(target)], logins=LOGINS, password=PASSWORD)
    samples = scenarios.load_samples(target, seeded, size=300)
    app = make_app(target)
    tokens = statements.log_in(app, LOGINS, PASSWORD)
    lists = scenarios.build_requests(samples, tokens, seeded)
    names = args.endpoints or [
        e.name for e in scenarios.ENDPOINTS if e.kind not in ("login", "mix")
    ]
    floor_requests = [Request("GET", f"/patients/{p.id}") for p in samples.patients]
    floor_ms = time_requests(floor_client(target), floor_requests, args.requests)
    print(f"{'floor (b)':32} {floor_ms:7.2f} ms/request")
    client = app.test_client()
    for name in names:
        ms = time_requests(client, lists[name], args.requests)
        print(f"{scenarios.BY_NAME[name].label:32} {ms:7.2f} ms/request  {floor_ms / ms:5.2f}x")
        if args.top:
            profiler = cProfile.Profile()
            profiler.runcall(time_requests, client, lists[name], args.requests)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
