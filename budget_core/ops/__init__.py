"""Running the product: health, retries and breakers, backups, notifications, the error log, the outbox.

These modules keep the server working for every family (and tell its operator how it is doing).
They may import ``domain``, ``db``, ``config`` and ``errors``; the outbox also delivers through
``services``. Nothing in ``domain`` or ``services`` depends on them except the ``measure`` timer
of ``reliability`` and the notification queue.
"""
