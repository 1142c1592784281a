"""``python -m budget_core.cli …`` runs the ``budget`` command."""

from . import main

main()
