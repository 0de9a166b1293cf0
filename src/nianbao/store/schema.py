"""The store's tables (SQLAlchemy Core): one definition for SQLite and PostgreSQL.

Values are kept in long form, one row per report and key; ``value`` is NULL for a cell the
report leaves unknown (never 0), and ``is_null`` says so explicitly for tools that blur the two.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A number exactly as parsed: SQLite keeps integers as integers under NUMERIC affinity,
# PostgreSQL's numeric is exact.
Value = sa.Numeric(asdecimal=False)

agencies = sa.Table(
    "agencies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),  # the normalised name (region code + body)
    sa.Column("name", sa.Text, nullable=False),  # the fullest name seen, as printed
    sa.Column("province", sa.Text),
    sa.Column("city", sa.Text),
    sa.Column("county", sa.Text),
    sa.Column("level", sa.Text),  # 省级 / 市级 / 县级 / 乡级 (None when unknown)
    sa.Column("adcode", sa.Text),
    sa.Column("region_manual", sa.Boolean, nullable=False, server_default=sa.false()),  # set by hand: kept
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("agencies.id")),  # a merged duplicate points on
)

agency_names = sa.Table(
    "agency_names", metadata,
    sa.Column("name", sa.Text, primary_key=True),  # a name as printed (squeezed)
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=False, index=True),
    sa.Column("manual", sa.Boolean, nullable=False, server_default=sa.false()),
)

reports = sa.Table(
    "reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.Text, nullable=False, unique=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), index=True),
    sa.Column("agency", sa.Text),  # as printed in the report
    sa.Column("year", sa.Integer, index=True),
    sa.Column("template", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("published", sa.Text),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),  # per agency and year
    # The order files were given in (run start, then position): versions follow it, the last is current,
    # whichever worker finished first.
    sa.Column("sequence", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("current", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("parser_version", sa.Text, nullable=False),
    sa.Column("ingested_at", sa.Text, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    sa.Column("warnings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("signature", sa.LargeBinary),  # MinHash of the narrative (一、五、六), for corpus.copied_text
    sa.Column("document", sa.LargeBinary, nullable=False),  # the whole parse (zlib-compressed JSON)
)

values = sa.Table(
    "report_values", metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", Value),
    sa.Column("is_null", sa.Boolean, nullable=False),
    sa.Column("inferred", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("split", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("raw", sa.Text),
    sa.Column("line", sa.Integer),
    sa.Column("place", sa.Text),
    # by key: the sum index (migration 6, store/sum_index.py), which starts with key
)

findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("rule", sa.Text, nullable=False, index=True),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("keys", sa.Text, nullable=False, server_default=""),  # comma-separated value keys
    sa.Column("line", sa.Integer),
    sa.Column("place", sa.Text),
    # Findings from other stored reports name them, so they can be recomputed when either changes.
    sa.Column("other_report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE")),
)

prose_bands = sa.Table(
    "prose_bands", metadata,  # LSH bands of each report's narrative MinHash: candidates by lookup
    sa.Column("band", sa.Integer, nullable=False),
    sa.Column("hash", sa.BigInteger, nullable=False),
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("year", sa.Integer),  # the report's (migration 5): only adjacent years are candidates
    # year and report_id too (migration 5): a band's candidates of three years from the index alone
    sa.Index("ix_prose_bands_lookup", "band", "hash", "year", "report_id"),
    sa.Index("ix_prose_bands_report", "report_id"),
)

prose_shingles = sa.Table(
    # The narrative's character 5-grams as sorted 32-bit hashes (migration 5): a band-sharing
    # candidate's exact similarity is computed from these, not by decoding its whole document.
    "prose_shingles", metadata,
    sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hashes", sa.LargeBinary, nullable=False),  # uint32, little-endian, ascending, distinct
)

failures = sa.Table(
    "failures", metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("parser_version", sa.Text, nullable=False),
    sa.Column("failed_at", sa.Text, nullable=False),
)

settings = sa.Table(
    "store_settings", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)
