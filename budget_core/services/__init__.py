"""Use cases. Each public function is one database transaction with its own permission check.

Every family-scoped function takes the family handle (``FamilyAccess``) that ``families.open``
(``access.open_family``) makes after checking the person's membership and role: the one door into a
family, for reads and writes alike. ``_uow.family_write`` is the write path (version, role check in
the database, one event, NOTIFY); ``cache`` keeps figures by family version.

May import ``budget_core.domain``, ``budget_core.db``, ``budget_core.errors`` and the timers of
``budget_core.ops.reliability``. Import from the modules: ``from budget_core.services import transactions``.
"""
