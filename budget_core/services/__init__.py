"""Use cases. Each public function is one database transaction with its own permission check.

Import from the modules: ``from budget_core.services import transactions``.
"""
