"""SQLAlchemy 2 (async) plumbing shared by the services: engine, schema, unit of work."""
