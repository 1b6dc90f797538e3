"""Settings from the environment: safe defaults, refusals, clinical thresholds."""

from __future__ import annotations

import pytest

from clinic.config import ConfigError, load_settings


def test_production_needs_a_long_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"CLINIC_ENV": "production"})
    with pytest.raises(ConfigError, match="32"):
        load_settings({"CLINIC_ENV": "production", "SECRET_KEY": "short"})
    settings = load_settings({"CLINIC_ENV": "production", "SECRET_KEY": "x" * 32})
    assert settings.secret_key == "x" * 32


def test_environment_defaults_to_production():
    with pytest.raises(ConfigError):
        load_settings({})


def test_defaults_are_safe():
    settings = load_settings({"CLINIC_ENV": "development"})
    assert settings.token_lifetime_seconds == 8 * 3600
    assert settings.token_idle_timeout_seconds == 1800
    assert settings.cors_origins == []
    assert settings.max_content_length == 1024 * 1024
    assert settings.webhooks_allow_private_targets is False
    assert settings.idempotency_ttl_seconds >= 24 * 3600
    assert settings.flask_config()["SQLITE_CHECKPOINT_SECONDS"] == 0.05


def test_postgres_urls_use_psycopg_3():
    settings = load_settings(
        {"CLINIC_ENV": "development", "DATABASE_URL": "postgres://u@h:5432/db"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h:5432/db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOKEN_LIFETIME_SECONDS", "soon"),
        ("TOKEN_IDLE_TIMEOUT_SECONDS", "5"),
        ("IDEMPOTENCY_TTL_SECONDS", "60"),
        ("CLINIC_ENV", "staging"),
        ("RTR_PLANK_SECONDS", "long"),
        ("RUN_WEEKLY_INCREASE_PERCENT", "-1"),
        ("SQLITE_CHECKPOINT_MS", "-1"),
        ("SQLITE_CHECKPOINT_MS", "0.5"),
    ],
)
def test_malformed_settings_are_refused(name, value):
    with pytest.raises(ConfigError):
        load_settings({"CLINIC_ENV": "development", name: value})


def test_clinical_thresholds_reach_the_app_config():
    settings = load_settings(
        {
            "CLINIC_ENV": "development",
            "RTR_PLANK_SECONDS": "60",
            "CORS_ORIGINS": "https://a, https://b",
        }
    )
    config = settings.flask_config()
    assert config["RTR_PLANK_SECONDS"] == 60.0
    assert "RTR_WALKING_MINUTES" not in config
    assert config["CORS_ORIGINS"] == ["https://a", "https://b"]
