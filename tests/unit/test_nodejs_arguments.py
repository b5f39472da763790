"""Wrong input to the nodejs role fails before any host is touched, naming the variable.

The version check itself needs the installed Node.js; the molecule scenario tests it.
"""

from __future__ import annotations

import pytest

from tests.helpers.playbooks import run_role_against_nothing


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role_against_nothing(tmp_path, "nodejs", {"nodejs_min_major_version": 20})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


ROLE = "nodejs"
BAD_INPUT = [
    pytest.param(
        {"nodejs_min_major_version": 0}, "nodejs_min_major_version: 0 is not a Node.js major version", id="zero"
    ),
    pytest.param({"nodejs_min_major_version": "twenty"}, "nodejs_min_major_version", id="not-a-number"),
    pytest.param(
        {"nodejs_upstream_repository_enabled": True},
        "nodejs_upstream_repository_enabled is true, so nodejs_upstream_repository_uri must be an https address",
        id="upstream-without-address",
    ),
    pytest.param(
        {
            "nodejs_upstream_repository_enabled": True,
            "nodejs_upstream_repository_uri": "http://mirror.invalid/node",
            "nodejs_upstream_repository_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        },
        "must be an https address (got 'http://mirror.invalid/node')",
        id="upstream-over-plain-http",
    ),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
