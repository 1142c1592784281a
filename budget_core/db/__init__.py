"""Storage: the engine, the embedded server, the migrations, row-level-security scope, the family door.

``engine`` makes the app's engine (role ``budget_app``, under row-level security) and the owner's;
``embedded`` runs the private PostgreSQL server; ``migrate`` applies Alembic migrations;
``scope`` sets the family a transaction acts for; ``door`` enters a family after the database
checked the membership (migration 0007) and turns its errors into typed ones. May import
``budget_core.config`` and ``budget_core.errors`` only.
"""
