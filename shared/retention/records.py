"""`purge_record`, the table in which a service proves each purge it carried out (covenant art.
1.2, Bijlage 3). Apart from the purge itself (shared/retention/purge.py) so that a service's models
can declare it without loading the purge machinery."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table, Uuid

from shared.persistence.types import UTCDateTime


def purge_records_table(metadata: MetaData) -> Table:
    """`purge_record`: one row per purge carried out here; proof without the data."""
    if "purge_record" in metadata.tables:
        return metadata.tables["purge_record"]
    return Table(
        "purge_record",
        metadata,
        Column("purge_id", Uuid, primary_key=True),
        Column("case_id", Uuid, nullable=False, index=True),
        Column("policy_version", String(64), nullable=False),
        Column("phase", String(32), nullable=False),
        Column("counts", JSON, nullable=False),
        Column("purged_at", UTCDateTime, nullable=False),
    )
