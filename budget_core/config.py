"""Configuration: environment variables with defaults, read in this one place.

``BUDGET_DATABASE_URL``  a PostgreSQL URL; unset means the embedded server in the data dir.
``BUDGET_APP_DATABASE_URL`` where the app's own queries go (role ``budget_app``), e.g. a transaction-mode
                         PgBouncer (``budget serve`` sets it): the app then keeps no session state on its
                         connections and uses no server-side prepared statements.
``BUDGET_LISTEN_DATABASE_URL`` where each process's change watcher LISTENs: a direct connection to the server
                         (default: the server itself, as ``budget_app``), never a transaction-mode pooler.
``BUDGET_SYNC_TRACE``    a file to which each process appends when a change was heard, woke a session and
                         was drawn (JSON lines; ``bench/capacity.py`` prints the breakdown from it).
``BUDGET_DATA_DIR``      where the embedded server, the outbox and other local files live.
``BUDGET_POLL_MS``       how often each browser session checks for changes (milliseconds); the fallback
                         for when a change could not wake it at once.
``BUDGET_WAKE_SESSIONS`` ``0`` to stop waking sessions on a change (they then rely on the poll alone).
``BUDGET_WAKE_SCOPE``    ``fragment`` (default): a woken page whose figures are a fragment reruns that fragment
                         alone; ``page``: it reruns the whole page (the baseline ``bench/capacity.py`` compares).
``BUDGET_PUBLIC_URL``    the address put in invitation and password-reset links; unset: the address the
                         person is using (the browser's, or the Host / forwarded headers).
``BUDGET_SMTP_URL``      where invitation e-mails go: smtp://[user:pass@]host:port[?starttls=1] or smtps://…
``BUDGET_MAIL_FROM``     the sender of those e-mails.
``BUDGET_PUSH_URL``      an ntfy-compatible endpoint that receives push notifications as HTTP POSTs.
``BUDGET_TRUSTED_PROXIES`` addresses or networks (comma-separated) of reverse proxies whose
                         ``X-Forwarded-For`` names the client; unset, the client is the connection's peer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _default_data_dir() -> Path:
    # The embedded server chmods the parents of its data directory so its own system user can
    # reach it; under /root that would open root's home, so root gets a system location.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/family-budget")
    import platformdirs

    return Path(platformdirs.user_data_dir("family-budget", appauthor=False))


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    poll_ms: int
    public_url: str | None
    wake_sessions: bool = True
    smtp_url: str | None = None
    mail_from: str = "Family Budget <budget@localhost>"
    push_url: str | None = None
    invitation_hours: int = 48
    max_invitation_hours: int = 7 * 24
    schedule_seconds: float = 60.0  # how often an app process posts due scheduled entries (0: never)
    app_database_url: str | None = None
    listen_database_url: str | None = None
    sync_trace: str | None = None
    wake_scope: str = "fragment"
    trusted_proxies: tuple = ()  # ip_network values


DEFAULT_POLL_MS = 5000  # the fallback: a change wakes sessions at once (see bench/sync_latency.py)
LOCAL_URL = "http://localhost:8501"  # what the CLI puts in links when BUDGET_PUBLIC_URL is unset


def _poll_ms(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if not 100 <= value <= 3_600_000:
        raise ValueError(
            f"BUDGET_POLL_MS must be a whole number of milliseconds from 100 to 3600000, "
            f"for example 5000; it is {raw!r}."
        )
    return value


def _schedule_seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = -1
    if not (value == 0 or 1 <= value <= 86_400):
        raise ValueError(f"BUDGET_SCHEDULE_SECONDS must be 0 (off) or seconds from 1 to 86400; it is {raw!r}.")
    return value


def _wake_scope(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("fragment", "page"):
        raise ValueError(f"BUDGET_WAKE_SCOPE must be 'fragment' or 'page'; it is {raw!r}.")
    return value


def _networks(raw: str) -> tuple:
    import ipaddress

    nets = []
    for part in raw.split(","):
        if part.strip():
            try:
                nets.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"BUDGET_TRUSTED_PROXIES lists addresses or networks such as 127.0.0.1,10.0.0.0/8; "
                    f"{part.strip()!r} is neither."
                ) from None
    return tuple(nets)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env["BUDGET_DATA_DIR"]).expanduser() if env.get("BUDGET_DATA_DIR") else _default_data_dir()
    return Settings(
        database_url=env.get("BUDGET_DATABASE_URL") or None,
        data_dir=data_dir.resolve(),
        poll_ms=_poll_ms(env.get("BUDGET_POLL_MS", str(DEFAULT_POLL_MS))),
        wake_sessions=env.get("BUDGET_WAKE_SESSIONS", "1").strip().lower() not in ("0", "false", "no", "off"),
        public_url=(env.get("BUDGET_PUBLIC_URL") or "").strip().rstrip("/") or None,
        smtp_url=env.get("BUDGET_SMTP_URL") or None,
        mail_from=env.get("BUDGET_MAIL_FROM", "Family Budget <budget@localhost>"),
        push_url=env.get("BUDGET_PUSH_URL") or None,
        schedule_seconds=_schedule_seconds(env.get("BUDGET_SCHEDULE_SECONDS", "60")),
        app_database_url=env.get("BUDGET_APP_DATABASE_URL") or None,
        listen_database_url=env.get("BUDGET_LISTEN_DATABASE_URL") or None,
        sync_trace=env.get("BUDGET_SYNC_TRACE") or None,
        wake_scope=_wake_scope(env.get("BUDGET_WAKE_SCOPE", "fragment")),
        trusted_proxies=_networks(env.get("BUDGET_TRUSTED_PROXIES", "")),
    )


_settings: Settings | None = None


def settings() -> Settings:
    """The process's settings, read once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def link_base(base_url: str | None = None) -> str:
    """The address links sent to people start with: ``BUDGET_PUBLIC_URL`` when set, else ``base_url``
    (the address the person making the link is using), else ``LOCAL_URL`` (the CLI on the server)."""
    return (settings().public_url or (base_url or "").rstrip("/") or LOCAL_URL).rstrip("/")


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    global _settings
    _settings = None
