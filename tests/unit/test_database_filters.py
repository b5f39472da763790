"""The database role's filters: client hosts for MariaDB and pg_hba, and settings to change."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_PATH = Path(__file__).resolve().parents[2] / "roles" / "database" / "filter_plugins" / "database_hosts.py"
_SPEC = importlib.util.spec_from_file_location("database_hosts", _PATH)
hosts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hosts)


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("10.0.0.5", "address"),
        ("fd00::5", "address"),
        ("10.0.0.0/24", "network"),
        ("web-1.deenify.internal", "name"),
        ("localhost", "name"),
        ("%.deenify.internal", "pattern"),
        ("10.0.0.1/24", ""),  # host bits set: a typo more often than a network
        ("10.0.0.256", ""),
        ("db server", ""),
        ("%", ""),
        ("", ""),
        (5, ""),
    ],
)
def test_host_kinds(entry, kind):
    assert hosts.database_host_kind(entry) == kind


def test_errors_name_the_variable_and_index():
    errors = hosts.database_client_host_errors(["10.0.0.5", "db server"], "database_app_client_hosts")
    assert errors == [
        "database_app_client_hosts[1]: 'db server' is not an IP address, a CIDR network such as 10.0.0.0/24,"
        " a host name, or a pattern such as %.example.com"
    ]


def test_ipv6_networks_only_for_postgresql():
    assert hosts.database_client_host_errors(["fd00::/64"], "h", "postgresql") == []
    assert hosts.database_client_host_errors(["fd00::/64"], "h", "mariadb") == [
        "h[0]: 'fd00::/64': MariaDB and MySQL accept IPv4 networks only"
    ]


def test_mariadb_host_parts():
    entries = ["localhost", "10.0.0.0/24", "10.0.0.7", "%.Example.com", "LOCALHOST"]
    assert hosts.mariadb_host_parts(entries) == ["localhost", "10.0.0.0/255.255.255.0", "10.0.0.7", "%.example.com"]


def test_pg_hba_addresses():
    entries = ["localhost", "127.0.0.1", "10.0.0.0/24", "fd00::5", "%.example.com", "web-1"]
    assert hosts.pg_hba_addresses(entries) == [
        "127.0.0.1/32", "::1/128", "10.0.0.0/24", "fd00::5/128", ".example.com", "web-1",
    ]  # fmt: skip


def test_translating_a_bad_entry_raises():
    with pytest.raises(AnsibleFilterError, match="'db server' is not"):
        hosts.pg_hba_addresses(["db server"])


def test_mysql_accounts_and_stale_rows():
    accounts = hosts.database_mysql_accounts(
        [{"user": "app", "password": "x", "hosts": ["localhost", "10.0.0.0/24"], "privileges": "SELECT"}]
    )
    assert [a["key"] for a in accounts] == ["app@localhost", "app@10.0.0.0/255.255.255.0"]
    assert all("hosts" not in a for a in accounts)
    rows = [{"User": "app", "Host": "localhost"}, {"User": "app", "Host": "10.0.0.9"}]
    assert hosts.database_mysql_stale(rows, accounts) == [{"User": "app", "Host": "10.0.0.9"}]


def test_differing_settings_compare_as_text():
    expected = {"max_connections": 64, "bind_address": "0.0.0.0", "slow_query_log": "ON"}  # noqa: S104 - a value
    running = {"max_connections": "64", "bind_address": "127.0.0.1"}
    assert hosts.database_differing_settings(expected, running) == ["bind_address", "slow_query_log"]
