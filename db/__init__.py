"""Schema and storage: models, engine and sessions, migrations, demo data."""
