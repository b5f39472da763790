"""Wrong input to the redis role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

PASSWORD = "unit-test-password-0123456789"  # noqa: S105 - a test value, never a real secret
GOOD = {"redis_app_password": PASSWORD}


def run_role(tmp_path: Path, role_vars: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "redis", role_vars)


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(tmp_path, GOOD | {"redis_maxmemory": "1g", "redis_maxmemory_policy": "noeviction"})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert PASSWORD not in run.stdout + run.stderr, "the password appeared in the output"


def test_a_cache_only_redis_may_evict(tmp_path):
    run = run_role(tmp_path, GOOD | {"redis_backs_queues": False, "redis_maxmemory_policy": "allkeys-lru"})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


ROLE = "redis"
BAD_INPUT = [
    pytest.param(
        GOOD | {"redis_maxmemory_policy": "allkeys-lru"},
        "redis_maxmemory_policy: 'allkeys-lru' evicts keys when memory is full, and Redis holds the queues "
        "here (redis_backs_queues is true): queued jobs must never be evicted",
        id="evicting-policy-while-backing-queues",
    ),
    pytest.param(
        GOOD | {"redis_maxmemory_policy": "volatile-ttl"},
        "redis_maxmemory_policy: 'volatile-ttl' evicts keys",
        id="volatile-policy-while-backing-queues",
    ),
    pytest.param(
        GOOD | {"redis_maxmemory": "lots"},
        "redis_maxmemory: 'lots' is not a size such as 512M or 2G",
        id="maxmemory-not-a-size",
    ),
    pytest.param(
        GOOD | {"redis_maxmemory": "512k"},
        "redis_maxmemory: '512k' is below 1M",
        id="maxmemory-too-small",
    ),
    pytest.param(
        {},
        "missing required arguments: redis_app_password",
        id="missing-password",
    ),
    pytest.param(
        {"redis_app_password": "short"},
        "redis_app_password: 5 characters is too short",
        id="short-password",
    ),
    pytest.param(
        GOOD | {"redis_maxmemory_policy": "lru"},
        "value of redis_maxmemory_policy must be one of: noeviction,",
        id="unknown-policy",
    ),
    pytest.param(GOOD | {"redis_port": 70000}, "redis_port: 70000 is not a TCP port", id="port"),
    pytest.param(GOOD | {"redis_bind_addresses": []}, "redis_bind_addresses: [] must list", id="no-bind"),
    pytest.param(GOOD | {"redis_app_user": "default"}, "redis_app_user: 'default' must be", id="default-user"),
    pytest.param(
        GOOD | {"redis_app_acl_rules": ["~*", "nopass", "+@all"]},
        "redis_app_acl_rules: ['nopass'] are not allowed",
        id="acl-rule-without-password",
    ),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
    assert PASSWORD not in bad_input_runs.raw, "the password appeared in the output"
