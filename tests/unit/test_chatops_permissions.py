"""Who may do what from chat, and second-person approvals."""

from __future__ import annotations

import pytest

from chatops.approvals import ApprovalError, Approvals
from chatops.commands import Command
from chatops.permissions import PermissionsError, Policy

ENVIRONMENTS = {"local", "staging", "production"}
POLICY = {
    "users": {
        "UAMINA": {"name": "amina", "roles": {"staging": "admin", "production": "admin"}},
        "URAFIQ": {"name": "rafiq", "roles": {"staging": "operator", "production": "admin"}},
        "UNADIA": {"name": "nadia", "roles": {"staging": "operator", "production": "operator"}},
        "UJAMIL": {"name": "jamil", "roles": {"staging": "viewer", "production": "viewer"}},
    },
    "approval_window": 600,
}


@pytest.fixture
def policy() -> Policy:
    return Policy.from_dict(POLICY, ENVIRONMENTS)


# command, environment, user -> allowed, approval needed
MATRIX = [
    ("status", "production", "UJAMIL", True, False),
    ("log", "production", "UJAMIL", True, False),
    ("deploy", "staging", "UJAMIL", False, False),
    ("deploy", "staging", "UNADIA", True, False),
    ("deploy", "production", "UNADIA", False, False),
    ("deploy", "production", "URAFIQ", True, False),
    ("rollback", "production", "UNADIA", True, False),
    ("drift", "production", "UNADIA", True, False),
    ("drift", "production", "UJAMIL", False, False),
    ("unlock", "production", "UNADIA", True, False),
    ("rotate-secrets", "staging", "UNADIA", True, False),
    ("rotate-secrets", "production", "UNADIA", False, False),
    ("rotate-secrets", "production", "UAMINA", True, False),
    ("restore", "staging", "UNADIA", True, False),
    ("restore", "production", "UNADIA", False, False),
    ("restore", "production", "UAMINA", True, True),
    ("backup", "production", "UNADIA", True, False),
    ("incident", "production", "UJAMIL", False, False),
    ("deploy", "local", "UAMINA", False, False),  # no role in local
    ("help", None, "UJAMIL", True, False),
]


@pytest.mark.parametrize(("command", "environment", "user", "allowed", "approval"), MATRIX)
def test_the_permission_matrix(policy, command, environment, user, allowed, approval):
    decision = policy.check(user, command, environment)
    assert (decision.allowed, decision.needs_approval) == (allowed, approval), decision.reason


def test_a_refusal_names_the_role_needed_and_the_role_held(policy):
    decision = policy.check("UNADIA", "deploy", "production")
    assert decision.reason == "deploy in production needs admin; nadia has operator there"


def test_someone_not_in_the_file_may_do_nothing(policy):
    decision = policy.check("USTRANGER", "help", None)
    assert not decision.allowed
    assert "USTRANGER is not in the permissions file" in decision.reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a mapping with 'users'"),
        ({"users": {"U1": {"roles": {}}}}, "users.U1: needs a name"),
        ({"users": {"U1": {"name": "x", "roles": {"prod": "admin"}}}}, "no environment 'prod'"),
        ({"users": {"U1": {"name": "x", "roles": {"staging": "root"}}}}, "'root' is not one of viewer, operator"),
        ({"users": {}, "approval_window": 5}, "approval_window must be whole seconds, 30 to 86400"),
        ({"users": {}, "approval_window": True}, "approval_window must be whole seconds"),
        ({"users": {}, "protected_environments": "production"}, "protected_environments must be a list"),
    ],
)
def test_a_wrong_permissions_file_is_refused_naming_the_entry(data, message):
    with pytest.raises(PermissionsError) as caught:
        Policy.from_dict(data, ENVIRONMENTS)
    assert message in str(caught.value)


def test_the_example_file_loads():
    from chatops.config import ROOT

    policy = Policy.load(ROOT / "chatops" / "permissions.example.yml", ENVIRONMENTS)
    assert policy.check("U00EXAMPLE1", "restore", "production").needs_approval


# approvals

RESTORE = Command("restore", "production", {"snapshot": "4f2a9c1e"})


@pytest.fixture
def approvals(policy, tmp_path) -> Approvals:
    return Approvals(policy, tmp_path / "approvals.json")


def test_a_second_admin_approves_within_the_window(approvals):
    pending = approvals.request("UAMINA", RESTORE, now=1000.0)
    approved = approvals.approve(pending.id, "URAFIQ", now=1599.0)
    assert approved.command == RESTORE
    assert approved.requester == "UAMINA"
    with pytest.raises(ApprovalError, match="no request"):
        approvals.approve(pending.id, "URAFIQ", now=1600.0)


def test_nobody_approves_their_own_request(approvals):
    pending = approvals.request("UAMINA", RESTORE, now=1000.0)
    with pytest.raises(ApprovalError, match="a second person must approve it"):
        approvals.approve(pending.id, "UAMINA", now=1001.0)
    # Still waiting for someone else.
    assert [p.id for p in approvals.waiting(now=1002.0)] == [pending.id]


def test_an_approval_after_the_window_is_refused_and_the_request_dropped(approvals):
    pending = approvals.request("UAMINA", RESTORE, now=1000.0)
    with pytest.raises(ApprovalError, match="expired 600 s after it was made"):
        approvals.approve(pending.id, "URAFIQ", now=1600.5)
    assert approvals.waiting(now=1600.5) == []


def test_an_operator_cannot_approve_what_needs_an_admin(approvals):
    pending = approvals.request("UAMINA", RESTORE, now=1000.0)
    with pytest.raises(ApprovalError, match="needs admin in production; nadia has operator there"):
        approvals.approve(pending.id, "UNADIA", now=1001.0)


def test_a_request_survives_into_another_process(policy, tmp_path):
    first = Approvals(policy, tmp_path / "approvals.json")
    pending = first.request("UAMINA", RESTORE, now=1000.0)
    second = Approvals(policy, tmp_path / "approvals.json")
    assert second.approve(pending.id, "URAFIQ", now=1001.0).command == RESTORE
    assert (tmp_path / "approvals.json").stat().st_mode & 0o777 == 0o600


def test_a_denied_request_cannot_be_approved(approvals):
    pending = approvals.request("UAMINA", RESTORE, now=1000.0)
    approvals.deny(pending.id, "URAFIQ")
    with pytest.raises(ApprovalError, match="no request"):
        approvals.approve(pending.id, "URAFIQ", now=1001.0)
