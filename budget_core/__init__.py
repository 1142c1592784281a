"""Family Budget's domain package: money, the daily budget, the ledger and its services.

Importable without Streamlit. The UI (``app.py``, ``pages/``, ``budget_app``) depends on this
package, never the other way round. Its packages, each with an ``__init__`` saying what it may import:

- ``domain``: the pure rules (money, periods, the daily budget, projections, text checks);
- ``db``: the engine, the embedded server, migrations, row-level-security scope, the family door;
- ``services``: the use cases, each taking the family handle;
- ``analytics``: loading, queries, charts, export;
- ``importers``: bank files, rules and the inbox folder;
- ``ops``: health, reliability, backups, notifications, the error log, the outbox, named files;
- ``sync``: the per-process change watcher; ``cli``: the ``budget`` command.
"""
