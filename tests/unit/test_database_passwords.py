"""The MariaDB password hashes the rotation compares and writes."""

from __future__ import annotations

import importlib.util

import pytest
from ansible.errors import AnsibleFilterError

from tests.helpers.playbooks import ROOT

_spec = importlib.util.spec_from_file_location(
    "database_passwords", ROOT / "roles" / "database" / "filter_plugins" / "database_passwords.py"
)
passwords = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(passwords)

# Read off MariaDB 11.8: SHOW CREATE USER after IDENTIFIED VIA ... PASSWORD('new') OR ... PASSWORD('old').
NEW, OLD = "*6FE2B845E049CDA9EFED8CFAF265CD29622FD852", "*CD02AC33DE7D3D2AFEDF5F2BAB51B07CDB499E79"
TWO = (
    "CREATE USER `deenify`@`10.20.0.0/255.255.255.0` IDENTIFIED VIA mysql_native_password "
    f"USING '{NEW}' OR mysql_native_password USING '{OLD}'"
)


def test_the_hash_is_the_one_mariadb_computes():
    assert passwords.mariadb_native_hash("new") == NEW
    assert passwords.mariadb_native_hash("old") == OLD


def test_a_password_beyond_ascii_hashes_as_utf8():
    assert passwords.mariadb_native_hash("পাসওয়ার্ড") != passwords.mariadb_native_hash("password")
    assert len(passwords.mariadb_native_hash("পাসওয়ার্ড")) == 41


@pytest.mark.parametrize(("value", "message"), [("", "the password is empty"), (None, "got NoneType"), (42, "got int")])
def test_no_hash_of_nothing(value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        passwords.mariadb_native_hash(value)


@pytest.mark.parametrize(
    ("statement", "hashes"),
    [
        pytest.param(TWO, [NEW, OLD], id="two-passwords"),
        pytest.param(f"CREATE USER `deenify`@`localhost` IDENTIFIED BY PASSWORD '{OLD}'", [OLD], id="one-password"),
        pytest.param(
            f"CREATE USER `deenify`@`%` IDENTIFIED VIA mysql_native_password USING '{OLD.lower()}'", [OLD], id="lower"
        ),
        pytest.param("CREATE USER `deenify`@`localhost` IDENTIFIED VIA unix_socket", [], id="socket-only"),
        pytest.param(
            f"CREATE USER `deenify`@`localhost` IDENTIFIED VIA ed25519 USING 'x' "
            f"OR mysql_native_password USING '{NEW}'",
            [NEW],
            id="another-plugin-beside",
        ),
        pytest.param("CREATE USER `deenify`@`localhost`", [], id="no-password"),
    ],
)
def test_the_hashes_of_an_account_are_read_in_order(statement, hashes):
    assert passwords.mariadb_account_hashes(statement) == hashes


def test_a_statement_must_be_text():
    with pytest.raises(AnsibleFilterError, match="expected a SHOW CREATE USER statement"):
        passwords.mariadb_account_hashes(["CREATE USER"])
