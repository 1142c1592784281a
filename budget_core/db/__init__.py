"""Storage: SQLAlchemy Core tables, the engine, the embedded server and the migrations."""
