"""Family Budget's domain package: money, the daily budget, the ledger and its services.

Importable without Streamlit. The UI (``app.py``, ``pages/``, ``budget_app``) depends on this
package, never the other way round.
"""
