"""Settings read from environment variables, with safe defaults.

The environment is named by ``CLINIC_ENV`` (``production`` unless told otherwise,
so a forgotten variable fails closed). ``SECRET_KEY`` is required outside
development and testing: it keys the HMAC under which tokens are stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def _list(env: dict[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Clinical thresholds a clinic may tune (defaults live with their rules and sources).
CLINICAL_THRESHOLDS = (
    "RTR_WALKING_MINUTES",
    "RTR_PAIN_ACTIVITY_MAX",
    "RTR_PLANK_SECONDS",
    "RTR_SIDE_PLANK_SECONDS",
    "RTR_SINGLE_LEG_SQUAT_REPS",
    "RTR_ROM_ASYMMETRY_PERCENT",
    "RUN_WEEKLY_INCREASE_PERCENT",
)


def _thresholds(env: dict[str, str]) -> dict[str, float]:
    chosen: dict[str, float] = {}
    for name in CLINICAL_THRESHOLDS:
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
        if value < 0:
            raise ConfigError(f"{name} must not be negative")
        chosen[name] = value
    return chosen


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str | None
    secret_key: str
    token_lifetime_seconds: int
    token_idle_timeout_seconds: int
    cors_origins: list[str]
    max_content_length: int
    login_window_seconds: int
    login_max_failures_per_account: int
    login_max_failures_per_address: int
    idempotency_ttl_seconds: int
    proxy_hops: int
    webhooks_allow_private_targets: bool
    clinical_thresholds: dict[str, float]
    log_level: str
    sqlite_checkpoint_ms: int

    def flask_config(self) -> dict[str, Any]:
        return {
            "CLINIC_ENV": self.env,
            "TESTING": self.env == "testing",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "TOKEN_LIFETIME_SECONDS": self.token_lifetime_seconds,
            "TOKEN_IDLE_TIMEOUT_SECONDS": self.token_idle_timeout_seconds,
            "CORS_ORIGINS": self.cors_origins,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "LOGIN_WINDOW_SECONDS": self.login_window_seconds,
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": self.login_max_failures_per_account,
            "LOGIN_MAX_FAILURES_PER_ADDRESS": self.login_max_failures_per_address,
            "IDEMPOTENCY_TTL_SECONDS": self.idempotency_ttl_seconds,
            "PROXY_HOPS": self.proxy_hops,
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": self.webhooks_allow_private_targets,
            **self.clinical_thresholds,
            "LOG_LEVEL": self.log_level,
            "SQLITE_CHECKPOINT_SECONDS": self.sqlite_checkpoint_ms / 1000,
        }


DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    name = env.get("CLINIC_ENV", "production").strip().lower()
    if name not in {"production", "development", "testing"}:
        raise ConfigError("CLINIC_ENV must be production, development or testing")
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if name == "production":
            raise ConfigError("SECRET_KEY is required when CLINIC_ENV=production")
        secret = DEVELOPMENT_SECRET
    elif name == "production" and len(secret) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    database_url = env.get("DATABASE_URL")
    return Settings(
        env=name,
        database_url=normalise_database_url(database_url) if database_url else None,
        secret_key=secret,
        token_lifetime_seconds=_int(env, "TOKEN_LIFETIME_SECONDS", 8 * 3600, minimum=60),
        token_idle_timeout_seconds=_int(env, "TOKEN_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=60),
        cors_origins=_list(env, "CORS_ORIGINS"),
        max_content_length=_int(env, "MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
        login_window_seconds=_int(env, "LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1),
        login_max_failures_per_account=_int(env, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, minimum=1),
        login_max_failures_per_address=_int(env, "LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1),
        idempotency_ttl_seconds=_int(env, "IDEMPOTENCY_TTL_SECONDS", 24 * 3600, minimum=24 * 3600),
        proxy_hops=_int(env, "PROXY_HOPS", 0),
        webhooks_allow_private_targets=env.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "") == "1",
        clinical_thresholds=_thresholds(env),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        sqlite_checkpoint_ms=_int(env, "SQLITE_CHECKPOINT_MS", 50),
    )
