"""MariaDB converged by the database role, seen by its users: the app, backups, strangers.

Three instances: db (the server), client (listed in database_app_client_hosts, and the
host that ran the role against db as an external MySQL) and stranger (not listed).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.database import apply_role, client, instance, mariadb
from tests.helpers.instances import address_of

# The values converge.yml gives the role.
APP = ("deenify", "app-secret-1")
BACKUP = ("deenify_backup", "backup-secret-1")
REPORTS = ("reports", "reports-secret")
DB, CLIENT, STRANGER = instance("db"), instance("client"), instance("stranger")
# The server listens on the scenario's own docker network; the accounts decide who gets in.
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 - the server under test, on an isolated test network


@pytest.fixture(scope="module")
def server() -> str:
    return address_of(DB)


@pytest.fixture(scope="module")
def donations(server) -> None:
    """A table the app account made in its database over the network, as a migration would."""
    made = mariadb(
        CLIENT, *APP,
        "CREATE TABLE IF NOT EXISTS donations (id INT PRIMARY KEY, amount DECIMAL(10,2)) ENGINE=InnoDB;"
        " REPLACE INTO donations VALUES (1, 10.00);",
        host=server, db="deenify",
    )  # fmt: skip
    assert made.rc == 0, str(made)


def variables(names: list[str]) -> dict[str, str]:
    listed = ", ".join(f"'{name}'" for name in names)
    result = mariadb(DB, "root", None, "SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + listed + ")")
    assert result.rc == 0, str(result)
    return dict(row.split("\t", 1) for row in result.rows)


def test_the_server_runs_with_the_tuning_derived_from_the_pinned_memory():
    # database_memory 2G: buffer pool 2048/2 = 1024 MiB; max_connections 2048/32 = 64.
    expected = {
        "innodb_buffer_pool_size": str(1024 * 1024 * 1024),
        "max_connections": "64",
        "bind_address": ALL_ADDRESSES,
        "slow_query_log": "ON",
        "long_query_time": "0.500000",
        "character_set_server": "utf8mb4",
        "collation_server": "utf8mb4_unicode_ci",
        "local_infile": "OFF",
    }
    running = variables(list(expected))
    assert running == expected


@pytest.mark.usefixtures("donations")
def test_the_app_account_sees_and_uses_only_its_own_database(server):
    seen = mariadb(CLIENT, *APP, "SHOW DATABASES", host=server)
    assert seen.rc == 0, str(seen)
    assert set(seen.rows) == {"deenify", "information_schema"}, str(seen)
    refused = mariadb(CLIENT, *APP, "CREATE DATABASE deenify_other", host=server)
    assert refused.rc != 0, str(refused)
    assert "Access denied" in refused.stderr, str(refused)
    collation = mariadb(
        CLIENT, *APP,
        "SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'deenify'"
        " AND TABLE_NAME = 'donations'",
        host=server,
    )  # fmt: skip
    assert collation.rows == ["utf8mb4_unicode_ci"], str(collation)


@pytest.mark.usefixtures("donations")
def test_the_backup_account_can_dump_but_not_write():
    dump = client(DB, ["mariadb-dump", "-u", BACKUP[0], "deenify"], BACKUP[1])
    assert dump.rc == 0, str(dump)[-2000:]
    assert "CREATE TABLE `donations`" in dump.stdout, dump.stdout[-2000:]
    assert "(1,10.00)" in dump.stdout, dump.stdout[-2000:]
    write = mariadb(DB, *BACKUP, "INSERT INTO donations VALUES (2, 5.00)", db="deenify")
    assert write.rc != 0, str(write)
    assert "INSERT command denied" in write.stderr, str(write)


def test_root_gets_in_only_through_the_local_socket(server):
    socket = mariadb(DB, "root", None, "SELECT CURRENT_USER()")
    assert socket.rows == ["root@localhost"], str(socket)
    for where, host in ((CLIENT, server), (DB, "127.0.0.1")):
        tcp = mariadb(where, "root", None, "SELECT 1", host=host)
        assert tcp.rc != 0, f"root got in over TCP: {tcp}"
        assert re.search(r"Access denied|is not allowed to connect", tcp.stderr), str(tcp)


def test_there_is_no_anonymous_login_and_no_test_database():
    for host in (None, "127.0.0.1"):
        anonymous = mariadb(DB, "nobody-in-particular", None, "SELECT CURRENT_USER()", host=host)
        assert anonymous.rc != 0, f"an unknown user got in: {anonymous}"
        assert "Access denied" in anonymous.stderr, f"an unknown user got in: {anonymous}"
    databases = mariadb(DB, "root", None, "SHOW DATABASES")
    assert "test" not in databases.rows, str(databases)


def test_a_host_the_inventory_does_not_list_is_refused_with_the_right_password(server):
    stranger = mariadb(STRANGER, *APP, "SELECT 1", host=server)
    assert stranger.rc != 0, f"the stranger got in: {stranger}"
    assert re.search(r"is not allowed to connect|Access denied", stranger.stderr), str(stranger)


def test_the_external_mysql_run_made_its_database_over_the_network_and_installed_no_server(server):
    reports = mariadb(CLIENT, *REPORTS, "SELECT CURRENT_USER(); SHOW DATABASES", host=server)
    assert reports.rc == 0, str(reports)
    assert reports.rows[1:] == ["information_schema", "reports"], str(reports)
    local = client(CLIENT, ["sh", "-c", "command -v mariadbd mysqld; dpkg-query -W -f='${Status}' mariadb-server"])
    assert "/" not in local.stdout, f"a server was installed: {local}"
    assert "install ok installed" not in local.stdout, f"a server was installed: {local}"


def test_a_new_password_in_the_inventory_replaces_the_old_one_without_a_restart(server, tmp_path):
    pid = client(DB, ["systemctl", "show", "-P", "MainPID", "mariadb"]).stdout.strip()
    changed = _apply(tmp_path / "new", {"database_app_password": "app-secret-2", "database_slow_query_seconds": 2})
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert "app-secret" not in changed.stdout + changed.stderr, "a password appeared in the output"
    try:
        old = mariadb(CLIENT, *APP, "SELECT 1", host=server)
        assert old.rc != 0, f"the old password still works: {old}"
        assert "Access denied" in old.stderr, f"the old password still works: {old}"
        new = mariadb(CLIENT, APP[0], "app-secret-2", "SELECT 1", host=server)
        assert new.rc == 0, str(new)
        # long_query_time is set in the running server; only bind address and buffer pool restart it.
        assert variables(["long_query_time"]) == {"long_query_time": "2.000000"}
        assert client(DB, ["systemctl", "show", "-P", "MainPID", "mariadb"]).stdout.strip() == pid, "restarted"
    finally:
        restored = _apply(tmp_path / "restore", {})
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert mariadb(CLIENT, *APP, "SELECT 1", host=server).rc == 0


def test_a_bind_address_the_host_lacks_is_refused_and_the_server_stays_up(tmp_path):
    pid = client(DB, ["systemctl", "show", "-P", "MainPID", "mariadb"]).stdout.strip()
    run = _apply(tmp_path, {"database_bind_address": "10.254.254.254"}, tags="database-server")
    assert run.returncode != 0, run.stdout[-3000:]
    assert "database_bind_address: " in run.stdout, run.stdout[-3000:]
    assert "has no address 10.254.254.254" in run.stdout, run.stdout[-3000:]
    assert variables(["bind_address"]) == {"bind_address": ALL_ADDRESSES}
    assert client(DB, ["systemctl", "show", "-P", "MainPID", "mariadb"]).stdout.strip() == pid, "restarted"


def test_check_on_a_host_without_a_server_reports_the_install_and_changes_nothing(tmp_path):
    # An operator's first look at a new db host: the stranger has no server yet.
    run = apply_role(tmp_path, STRANGER, {"database_app_password": "x", "database_backup_password": "y"}, check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(rf"{re.escape(STRANGER)}\s*: ok=\d+\s+changed=[1-9]", run.stdout), run.stdout[-3000:]
    assert "Check mode on a host without the database packages" in run.stdout, run.stdout[-3000:]
    installed = client(STRANGER, ["sh", "-c", "command -v mariadbd || echo none"])
    assert installed.stdout.strip() == "none", f"check mode installed the server: {installed}"


def _apply(workdir, overrides: dict, tags: str = "database-server,database-accounts"):
    """Run the role on db with converge.yml's values and ``overrides``."""
    values = {
        "database_engine": "mariadb",
        "database_bind_address": ALL_ADDRESSES,
        "database_app_password": APP[1],
        "database_backup_password": BACKUP[1],
        "database_app_client_hosts": ["localhost", address_of(CLIENT)],
        "database_memory": "2G",
        "database_slow_query_seconds": 0.5,
    } | overrides
    return apply_role(workdir, DB, values, tags=tags)
