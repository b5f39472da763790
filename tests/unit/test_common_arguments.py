"""Wrong input to the common role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.keys import make_key, truncate
from tests.helpers.playbooks import run_role_against_nothing

GOOD_KEY = make_key("ssh-ed25519")
TRUNCATED_KEY = truncate(GOOD_KEY)
GOOD = {
    "common_admin_users": [{"name": "rahim", "ssh_keys": [GOOD_KEY]}],
    "common_deploy_user": {"name": "deploy", "ssh_keys": [GOOD_KEY]},
}


def run_role(tmp_path: Path, overrides: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "common", GOOD | overrides)


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(tmp_path, {})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Install the base packages" in run.stdout, run.stdout[-3000:]


ROLE = "common"
BASE_VARS = GOOD
BAD_INPUT = [
    pytest.param({"common_timezone": "Asia/Dacca-typo"}, "common_timezone: 'Asia/Dacca-typo' is not", id="timezone"),
    pytest.param(
        {"common_admin_users": [{"name": "rahim", "ssh_keys": []}]},
        "common_admin_users[0] (rahim): ['has no SSH key",
        id="admin-without-key",
    ),
    pytest.param(
        {"common_admin_users": [{"name": "rahim"}]},
        "missing required arguments: ssh_keys found in common_admin_users",
        id="admin-key-list-missing",
    ),
    pytest.param(
        {"common_deploy_user": {"name": "deploy", "ssh_keys": [TRUNCATED_KEY]}},
        "common_deploy_user (deploy): ['key 1 has a body that is not valid base64",
        id="deploy-truncated-key",
    ),
    pytest.param(
        {"common_journald_storage": "disk"},
        "value of common_journald_storage must be one of: persistent, volatile, auto, got: disk",
        id="choice",
    ),
    pytest.param(
        {"common_admin_users": [{"name": "rahim", "ssh_keys": [GOOD_KEY], "state": "gone"}]},
        "value of state must be one of: present, absent, got: gone found in common_admin_users",
        id="nested-choice",
    ),
    pytest.param({"common_sshd_port": 70000}, "common_sshd_port: 70000 is not a TCP port", id="port"),
    pytest.param({"common_journald_max_use": "lots"}, "common_journald_max_use must be a size", id="size"),
    pytest.param({"common_sshd_port": "twenty-two"}, "common_sshd_port", id="port-type"),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, overrides, expected):
    bad_input_runs(overrides).assert_refused_naming(expected)
