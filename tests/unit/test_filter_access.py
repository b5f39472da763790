"""Unit tests of filter_plugins/access.py."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

import access
from tests.helpers.keys import make_key, truncate

# --- is_timezone -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "Asia/Dhaka", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_known_time_zones_are_accepted(name):
    assert access.is_timezone(name) is True


@pytest.mark.parametrize("name", ["Asia/Dacca-typo", "Mars/Olympus", "", "/etc/passwd", "../../etc/passwd", "UTC "])
def test_unknown_time_zones_are_refused(name):
    assert access.is_timezone(name) is False


@pytest.mark.parametrize("value", [None, 5, ["UTC"]])
def test_is_timezone_names_a_non_string(value):
    with pytest.raises(AnsibleFilterError, match="time zone name as a string"):
        access.is_timezone(value)


# --- ssh_key_errors ----------------------------------------------------------------------


def test_well_formed_keys_have_no_errors():
    keys = [make_key("ssh-ed25519"), make_key("ssh-rsa"), 'from="10.0.0.1",no-pty ' + make_key("ssh-ed25519")]
    assert access.ssh_key_errors(keys) == []


def test_key_of_unknown_type_is_named():
    (error,) = access.ssh_key_errors([make_key("ssh-dss")])
    assert "key 1 (ops@laptop)" in error
    assert "unknown type 'ssh-dss'" in error


def test_truncated_key_is_reported_as_bad_base64():
    (error,) = access.ssh_key_errors([truncate(make_key("ssh-ed25519"), 3)])
    assert "not valid base64" in error


def test_key_whose_body_disagrees_with_its_type_is_refused():
    (error,) = access.ssh_key_errors([make_key("ssh-ed25519", embedded="ssh-rsa")])
    assert "says 'ssh-ed25519' but its body holds a 'ssh-rsa' key" in error


def test_each_bad_key_is_reported_by_position():
    errors = access.ssh_key_errors([make_key("ssh-ed25519"), "pasted-nothing", 42])
    assert len(errors) == 2
    assert errors[0].startswith("key 2 is not an SSH public key line")
    assert errors[1] == "key 3 is a int, not a public key line"


@pytest.mark.parametrize("value", ["ssh-ed25519 AAAA", None, {"key": "x"}])
def test_ssh_key_errors_wants_a_list(value):
    with pytest.raises(AnsibleFilterError, match="expects a list of public key lines"):
        access.ssh_key_errors(value)


@given(st.lists(st.text(max_size=200), max_size=5))
def test_ssh_key_errors_never_crashes_on_arbitrary_text(lines):
    errors = access.ssh_key_errors(lines)
    assert isinstance(errors, list)
    assert len(errors) <= len(lines)


# --- sshd_lockout_reasons ----------------------------------------------------------------

ALICE_KEY = make_key("ssh-ed25519", comment="alice")
USERS = [{"name": "alice", "ssh_keys": [ALICE_KEY], "groups": ["ops-admin", "ssh-users"]}]
GROUPS = ["ssh-users"]


def test_a_session_that_is_not_ssh_is_never_at_risk():
    assert access.sshd_lockout_reasons({"ssh": False, "user": "root"}, [], GROUPS) == []


def test_root_over_ssh_would_be_locked_out():
    (reason,) = access.sshd_lockout_reasons({"ssh": True, "user": "root"}, USERS, GROUPS)
    assert "logs in as root" in reason


def test_managed_admin_with_the_used_key_is_safe():
    session = {"ssh": True, "user": "alice", "key": ALICE_KEY}
    assert access.sshd_lockout_reasons(session, USERS, GROUPS) == []


def test_admin_missing_from_the_inventory_would_be_locked_out():
    (reason,) = access.sshd_lockout_reasons({"ssh": True, "user": "alice"}, [], GROUPS)
    assert "'alice'" in reason
    assert "does not manage" in reason


def test_admin_outside_the_allowed_groups_would_be_locked_out():
    users = [dict(USERS[0], groups=["ops-admin"])]
    (reason,) = access.sshd_lockout_reasons({"ssh": True, "user": "alice"}, users, GROUPS)
    assert "not be in any of the groups sshd allows (ssh-users)" in reason


def test_session_key_missing_from_the_inventory_would_be_locked_out():
    other = make_key("ssh-ed25519", comment="old-laptop", fill=b"j")
    session = {"ssh": True, "user": "alice", "key": other}
    (reason,) = access.sshd_lockout_reasons(session, USERS, GROUPS)
    assert "key this session logged in with" in reason


def test_unknown_login_user_is_reported():
    (reason,) = access.sshd_lockout_reasons({"ssh": True, "user": ""}, USERS, GROUPS)
    assert "could not be determined" in reason


@pytest.mark.parametrize(
    ("session", "users", "groups", "message"),
    [
        ("alice", USERS, GROUPS, "session as a dict"),
        ({"ssh": True}, "alice", GROUPS, "users as a list"),
        ({"ssh": True}, USERS, "ssh-users", "allow_groups as a list"),
    ],
)
def test_sshd_lockout_reasons_names_bad_input(session, users, groups, message):
    with pytest.raises(AnsibleFilterError, match=message):
        access.sshd_lockout_reasons(session, users, groups)
