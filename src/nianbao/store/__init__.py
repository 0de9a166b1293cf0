"""The store: reports, their values in long form, findings and agencies, in SQLite or PostgreSQL.

``nianbao.store.db.open_store(url)`` opens (and creates or migrates) a store; ``nianbao ingest``
fills it, the other store commands read it. The schema is documented in docs/store.md. Nothing
is imported here, so that commands without a store do not pay for SQLAlchemy.
"""
