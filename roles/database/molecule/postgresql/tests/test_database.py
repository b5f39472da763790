"""PostgreSQL converged by the database role, seen by its users: the app, backups, strangers.

Three instances: db (the server), client (listed in database_app_client_hosts, and in a
database_pg_hba rule for the backup role) and stranger (not listed anywhere).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.database import apply_role, client, instance, psql
from tests.helpers.instances import address_of

# The values converge.yml gives the role.
APP = ("deenify", "app-secret-1")
BACKUP = ("deenify_backup", "backup-secret-1")
DB, CLIENT, STRANGER = instance("db"), instance("client"), instance("stranger")
# The server listens on the scenario's own docker network; pg_hba decides who gets in.
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 - the server under test, on an isolated test network


@pytest.fixture(scope="module")
def server() -> str:
    return address_of(DB)


@pytest.fixture(scope="module")
def donations(server) -> None:
    """A table the app role made in its database over the network, as a migration would."""
    made = psql(
        CLIENT, *APP,
        "CREATE TABLE IF NOT EXISTS donations (id int PRIMARY KEY, amount numeric(10,2));"
        " INSERT INTO donations VALUES (1, 10.00) ON CONFLICT DO NOTHING;",
        host=server, db="deenify",
    )  # fmt: skip
    assert made.rc == 0, str(made)


def superuser(sql: str):
    return client(DB, ["runuser", "-u", "postgres", "--", "psql", "-X", "-At", "-c", sql])


def settings(names: list[str]) -> dict[str, str]:
    result = superuser("SELECT name, current_setting(name) FROM pg_settings")
    assert result.rc == 0, str(result)
    every = dict(row.split("|", 1) for row in result.rows)
    return {name: every.get(name, "(missing)") for name in names}


def test_the_server_runs_with_the_tuning_derived_from_the_pinned_memory():
    # database_memory 2G: shared_buffers 2048/4, effective_cache_size 2048*3/4,
    # max_connections 2048/32, work_mem (2048-512)/(3*64) MiB.
    expected = {
        "shared_buffers": "512MB",
        "effective_cache_size": "1536MB",
        "max_connections": "64",
        "work_mem": "8MB",
        "listen_addresses": ALL_ADDRESSES,
        "log_min_duration_statement": "500ms",
        "password_encryption": "scram-sha-256",
    }
    assert settings(list(expected)) == expected


@pytest.mark.usefixtures("donations")
def test_the_app_role_works_in_its_utf8_database_and_nowhere_else(server):
    encoding = psql(CLIENT, *APP, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'deenify'",
                    host=server, db="deenify")  # fmt: skip
    assert encoding.rows == ["UTF8"], str(encoding)
    other = psql(CLIENT, *APP, "SELECT 1", host=server, db="postgres")
    assert other.rc != 0, f"the app role reached another database: {other}"
    assert "no pg_hba.conf entry" in other.stderr, str(other)
    create = psql(CLIENT, *APP, "CREATE DATABASE deenify_other", host=server, db="deenify")
    assert create.rc != 0, str(create)
    assert "permission denied to create database" in create.stderr, str(create)


@pytest.mark.usefixtures("donations")
def test_the_backup_role_can_dump_but_not_write(server):
    dump = client(CLIENT, ["pg_dump", "-w", "-h", server, "-U", BACKUP[0], "deenify"], BACKUP[1])
    assert dump.rc == 0, str(dump)[-2000:]
    assert "CREATE TABLE public.donations" in dump.stdout, dump.stdout[-2000:]
    write = psql(CLIENT, *BACKUP, "INSERT INTO donations VALUES (2, 5.00)", host=server, db="deenify")
    assert write.rc != 0, f"the backup role could write: {write}"
    assert "permission denied for table donations" in write.stderr, str(write)


def test_the_superuser_gets_in_only_through_the_local_socket(server):
    socket = superuser("SELECT current_user")
    assert socket.rows == ["postgres"], str(socket)
    for where, host in ((CLIENT, server), (DB, "127.0.0.1")):
        tcp = psql(where, "postgres", "", "SELECT 1", host=host, db="postgres")
        assert tcp.rc != 0, f"postgres got in over TCP: {tcp}"
        assert "no pg_hba.conf entry" in tcp.stderr, str(tcp)


def test_a_host_the_inventory_does_not_list_is_refused_with_the_right_password(server):
    stranger = psql(STRANGER, *APP, "SELECT 1", host=server, db="deenify")
    assert stranger.rc != 0, f"the stranger got in: {stranger}"
    assert "no pg_hba.conf entry" in stranger.stderr, str(stranger)


def test_a_new_password_in_the_inventory_replaces_the_old_one_with_a_reload_only(server, tmp_path):
    started = superuser("SELECT pg_postmaster_start_time()").stdout
    changed = _apply(tmp_path / "new", {"database_app_password": "app-secret-2", "database_slow_query_seconds": 2})
    assert changed.returncode == 0, changed.stdout[-3000:]
    assert "app-secret" not in changed.stdout + changed.stderr, "a password appeared in the output"
    try:
        old = psql(CLIENT, *APP, "SELECT 1", host=server, db="deenify")
        assert old.rc != 0, f"the old password still works: {old}"
        assert "password authentication failed" in old.stderr, str(old)
        new = psql(CLIENT, APP[0], "app-secret-2", "SELECT 1", host=server, db="deenify")
        assert new.rc == 0, str(new)
        # log_min_duration_statement takes a reload; only listen_addresses and memory restart.
        assert settings(["log_min_duration_statement"]) == {"log_min_duration_statement": "2s"}
        assert superuser("SELECT pg_postmaster_start_time()").stdout == started, "the server was restarted"
    finally:
        restored = _apply(tmp_path / "restore", {})
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert psql(CLIENT, *APP, "SELECT 1", host=server, db="deenify").rc == 0


def test_a_pg_hba_rule_postgresql_rejects_never_reaches_the_server(tmp_path):
    hba = f"/etc/postgresql/{superuser('SHOW server_version_num').stdout[:2]}/main/pg_hba.conf"
    before = client(DB, ["sha256sum", hba]).stdout
    # Passes the role's own checks; PostgreSQL allows peer on local sockets only.
    bad = [{"type": "host", "database": "deenify", "user": "deenify", "address": "10.9.9.9/32", "method": "peer"}]
    run = _apply(tmp_path, {"database_pg_hba": bad})
    assert run.returncode != 0, run.stdout[-3000:]
    assert "peer authentication is only supported on local sockets" in run.stdout, run.stdout[-3000:]
    assert client(DB, ["sha256sum", hba]).stdout == before, "the rejected pg_hba.conf stayed in place"
    assert superuser("SELECT 1").rows == ["1"]


def test_check_on_a_host_without_a_server_reports_the_install_and_changes_nothing(tmp_path):
    # An operator's first look at a new db host: the stranger has no server yet.
    values = {"database_engine": "postgresql", "database_app_password": "x", "database_backup_password": "y"}
    run = apply_role(tmp_path, STRANGER, values, check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(rf"{re.escape(STRANGER)}\s*: ok=\d+\s+changed=[1-9]", run.stdout), run.stdout[-3000:]
    assert "Check mode on a host without the database packages" in run.stdout, run.stdout[-3000:]
    installed = client(STRANGER, ["sh", "-c", "ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null || echo none"])
    assert installed.stdout.strip() == "none", f"check mode installed the server: {installed}"


def _apply(workdir, overrides: dict, tags: str = "database-server,database-accounts"):
    """Run the role on db with converge.yml's values and ``overrides``."""
    client_address = address_of(CLIENT)
    values = {
        "database_engine": "postgresql",
        "database_bind_address": ALL_ADDRESSES,
        "database_app_password": APP[1],
        "database_backup_password": BACKUP[1],
        "database_app_client_hosts": ["localhost", client_address],
        "database_memory": "2G",
        "database_slow_query_seconds": 0.5,
        "database_pg_hba": [
            {"type": "host", "database": "deenify", "user": "deenify_backup", "address": f"{client_address}/32"}
        ],
    } | overrides
    return apply_role(workdir, DB, values, tags=tags)
