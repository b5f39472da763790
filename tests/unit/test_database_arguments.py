"""Wrong input to the database role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

GOOD = {
    "database_app_password": "app-secret",
    "database_backup_password": "backup-secret",
}


def run_role(tmp_path: Path, overrides: dict, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    values = {k: v for k, v in (GOOD | overrides).items() if k not in drop}
    return run_role_against_nothing(tmp_path, "database", values)


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(tmp_path, {"database_memory": "4G", "database_app_client_hosts": ["10.0.0.0/24", "%.example.com"]})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Gather the facts the role needs" in run.stdout, run.stdout[-3000:]


ROLE = "database"
BASE_VARS = GOOD
BAD_INPUT = [
    pytest.param(
        {"database_engine": "oracle"},
        "value of database_engine must be one of: mariadb, postgresql, mysql, got: oracle",
        id="engine",
    ),
    pytest.param({"database_memory": "lots"}, "database_memory: 'lots' is not a size", id="memory-not-a-size"),
    pytest.param({"database_memory": "64M"}, "database_memory: '64M' is less than 256M", id="memory-too-small"),
    pytest.param(
        {"database_app_client_hosts": ["10.0.0.5", "db server"]},
        "database_app_client_hosts[1]: 'db server' is not an IP address, a CIDR network",
        id="client-host",
    ),
    pytest.param(
        {"database_app_client_hosts": ["10.0.0.0/33"]},
        "database_app_client_hosts[0]: '10.0.0.0/33' is not an IP address",
        id="client-network",
    ),
    pytest.param(
        {"database_backup_client_hosts": ["fd00::/64"]},
        "database_backup_client_hosts[0]: 'fd00::/64': MariaDB and MySQL accept IPv4 networks only",
        id="ipv6-network-on-mariadb",
    ),
    pytest.param(
        {"database_bind_address": "everywhere"},
        "database_bind_address: 'everywhere' is not an IP address",
        id="bind-address",
    ),
    pytest.param(
        {"database_app_user": "deenify; DROP"},
        "database_app_user: 'deenify; DROP' is not a plain name",
        id="account-name",
    ),
    pytest.param({"database_app_password": ""}, "database_app_password is empty", id="empty-password"),
    pytest.param(
        {"database_engine": "mysql", "database_login_host": "10.0.0.9"},
        "database_login_host, database_login_user and database_login_password (from the vault) are all required",
        id="mysql-without-login",
    ),
    pytest.param(
        {"database_engine": "postgresql", "database_pg_hba": [{"database": "deenify", "user": "x"}]},
        "database_pg_hba[0]:",
        id="pg-hba-host-rule-without-address",
    ),
    pytest.param(
        {"database_pg_hba": [{"database": "deenify", "user": "x", "method": "trust"}]},
        "value of method must be one of: scram-sha-256, peer, reject, got: trust found in database_pg_hba",
        id="pg-hba-trust",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, overrides, expected):
    bad_input_runs(overrides).assert_refused_naming(expected)


@pytest.mark.parametrize("password", ["database_app_password", "database_backup_password"])
def test_a_missing_password_fails_naming_it(tmp_path, password):
    run = run_role(tmp_path, {}, drop=(password,))
    assert run.returncode != 0
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert f"missing required arguments: {password}" in " ".join(run.stdout.split()), run.stdout[-3000:]


def test_no_password_reaches_the_output_of_a_failed_validation(tmp_path):
    run = run_role(tmp_path, {"database_memory": "lots"})
    assert run.returncode != 0
    assert "app-secret" not in run.stdout + run.stderr, run.stdout[-3000:]
    assert "backup-secret" not in run.stdout + run.stderr, run.stdout[-3000:]
