import pytest

from shared.settings import InsecureSettingsError, ServiceSettings


def test_each_service_gets_its_own_postgres_database() -> None:
    settings = ServiceSettings(database_url="postgresql+asyncpg://u:p@h:5432/zorgtafel?ssl=require")
    assert settings.database_url_for("intake") == "postgresql+asyncpg://u:p@h:5432/zorgtafel_intake?ssl=require"


def test_each_service_gets_its_own_sqlite_file() -> None:
    settings = ServiceSettings(database_url="sqlite+aiosqlite:///.local/zorgtafel.db")
    assert settings.database_url_for("triage") == "sqlite+aiosqlite:///.local/zorgtafel-triage.db"


def test_zt_state_dir_moves_the_default_sqlite_files(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    assert ServiceSettings().database_url_for("intake") == f"sqlite+aiosqlite:///{tmp_path}/zorgtafel-intake.db"


def test_an_explicit_database_url_wins_over_the_state_folder(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:////srv/hub/zorgtafel.db")
    assert ServiceSettings().database_url_for("audit") == "sqlite+aiosqlite:////srv/hub/zorgtafel-audit.db"


def test_the_well_known_environment_variables_are_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://x/y")
    settings = ServiceSettings()
    assert (settings.kafka_bootstrap_servers, settings.database_url) == ("broker:9092", "postgresql+asyncpg://x/y")


def test_production_refuses_the_built_in_local_keys_without_quoting_any_secret(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real_master = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    monkeypatch.setenv("ZT_ENVIRONMENT", "production")
    monkeypatch.setenv("ZT_MASTER_KEY", real_master)
    settings = ServiceSettings()
    with pytest.raises(InsecureSettingsError) as err:
        settings.check_secrets()
    assert "matching_key" in str(err.value) and "pseudonym_key" in str(err.value)
    assert "master_key" not in str(err.value) and real_master not in str(err.value)
    monkeypatch.setenv("ZT_PSEUDONYM_KEY", "p")
    monkeypatch.setenv("ZT_MATCHING_KEY", "m")
    ServiceSettings().check_secrets()  # all its own: starts


def test_a_local_run_may_use_the_built_in_keys() -> None:
    settings = ServiceSettings()
    assert settings.environment == "local"
    settings.check_secrets()  # raises InsecureSettingsError if local runs were refused
