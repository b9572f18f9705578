from shared.settings import ServiceSettings


def test_each_service_gets_its_own_postgres_database() -> None:
    settings = ServiceSettings(database_url="postgresql+asyncpg://u:p@h:5432/zorgtafel?ssl=require")
    assert settings.database_url_for("intake") == "postgresql+asyncpg://u:p@h:5432/zorgtafel_intake?ssl=require"


def test_each_service_gets_its_own_sqlite_file() -> None:
    settings = ServiceSettings(database_url="sqlite+aiosqlite:///.local/zorgtafel.db")
    assert settings.database_url_for("triage") == "sqlite+aiosqlite:///.local/zorgtafel-triage.db"


def test_the_well_known_environment_variables_are_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://x/y")
    settings = ServiceSettings()
    assert (settings.kafka_bootstrap_servers, settings.database_url) == ("broker:9092", "postgresql+asyncpg://x/y")
