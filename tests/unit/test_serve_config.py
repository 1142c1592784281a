"""The configuration ``budget serve`` writes for HAProxy and PgBouncer (``budget_core/ops/serve_config.py``).

HAProxy's own checker (``haproxy -c``) reads the generated file, so a configuration it would refuse
fails here, not at an operator's start.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from budget_core.ops.serve import ServeOptions
from budget_core.ops.serve_config import PoolTarget, haproxy_cfg, pgbouncer_ini, pgbouncer_users


def test_haproxy_pins_browsers_with_a_cookie_carries_websockets_and_checks_each_process():
    cfg = haproxy_cfg(address="0.0.0.0", port=8501, servers=[("p1", "127.0.0.1", 8502), ("p2", "127.0.0.1", 8503)])
    assert "cookie FB_PROCESS insert indirect nocache httponly" in cfg
    assert "timeout tunnel" in cfg  # an open page's WebSocket outlives the HTTP timeouts
    assert "option httpchk GET /_stcore/health" in cfg
    assert "option redispatch" in cfg  # a browser whose process is down goes to another
    assert "server p1 127.0.0.1:8502 check" in cfg and "cookie p1" in cfg
    assert "server p2 127.0.0.1:8503 check" in cfg and "cookie p2" in cfg
    assert "bind 0.0.0.0:8501" in cfg


@pytest.mark.skipif(not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")), reason="no haproxy")
def test_haproxy_accepts_the_generated_configuration(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(
        haproxy_cfg(address="127.0.0.1", port=8501, servers=[("p1", "127.0.0.1", 8502)], max_connections=500)
    )
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    result = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pgbouncer_pools_by_transaction_on_a_private_socket_and_acts_as_the_app_role():
    target = PoolTarget("/run/pg", 5432, "budget", "owner", "it's secret", set_role="budget_app")
    ini = pgbouncer_ini(target, socket_dir="/tmp/x/pgbouncer", pool_size=20, max_clients=300, auth_file="/tmp/x/u.txt")
    assert "pool_mode = transaction" in ini
    assert "listen_addr = \n" in ini  # no TCP: the socket's directory is the wall
    assert "unix_socket_dir = /tmp/x/pgbouncer" in ini
    assert "password='it''s secret'" in ini  # quoted for PgBouncer's connection string
    assert """connect_query='SET ROLE "budget_app"'""" in ini  # no client ever holds the owner's rights
    assert pgbouncer_users("budget_app") == '"budget_app" ""\n'


def test_the_embedded_servers_socket_becomes_pgbouncers_host():
    target = PoolTarget.from_url("postgresql+psycopg://budget_app@/budget?host=/tmp/sock", None)
    assert (target.host, target.port, target.database, target.user, target.set_role) == (
        "/tmp/sock",
        5432,
        "budget",
        "budget_app",
        None,
    )
    ini = pgbouncer_ini(target, socket_dir="/d", pool_size=5, max_clients=50, auth_file="/d/u")
    assert "connect_query" not in ini and "password" not in ini


def test_serve_refuses_a_process_count_or_ports_it_cannot_use():
    from budget_core.errors import ValidationError

    with pytest.raises(ValidationError, match="--processes"):
        ServeOptions(processes=0).check()
    with pytest.raises(ValidationError, match="not all valid"):
        ServeOptions(processes=2, port=65535).check()
    assert ServeOptions(processes=3, port=9000).app_ports() == [9001, 9002, 9003]
