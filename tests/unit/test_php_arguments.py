"""Wrong input to the php role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect. A PHP
version the distribution lacks needs facts: the php scenario tests that one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing


def run_role(tmp_path: Path, overrides: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "php", overrides)


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(tmp_path, {"php_fpm_pools": [{"name": "deenify"}, {"name": "reports", "user": "reports-php"}]})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Gather the distribution and memory facts" in run.stdout, run.stdout[-3000:]


ROLE = "php"
BAD_INPUT = [
    pytest.param({"php_memory_limit": "lots"}, "php_memory_limit: 'lots' is not a size", id="memory-not-a-size"),
    pytest.param({"php_fpm_memory": "4 gigs"}, "php_fpm_memory: '4 gigs' is not a size", id="pool-memory"),
    pytest.param(
        {"php_database_engine": "oracle"},
        "value of php_database_engine must be one of: mariadb, mysql, postgresql, got: oracle",
        id="database-engine",
    ),
    pytest.param(
        {"php_post_max_size": "8M", "php_upload_max_filesize": "20M"},
        "php_post_max_size: '8M' is smaller than php_upload_max_filesize '20M'",
        id="post-below-upload",
    ),
    pytest.param({"php_fpm_pools": []}, "php_fpm_pools: php-fpm needs at least one pool", id="no-pool"),
    pytest.param(
        {"php_fpm_pools": [{"name": "deenify"}, {"name": "deenify"}]},
        "and each name once (got ['deenify', 'deenify'])",
        id="duplicate-pool",
    ),
    pytest.param(
        {"php_fpm_pools": [{"name": "Deenify App"}]},
        "php_fpm_pools[0]: name 'Deenify App' and user 'Deenify App' must be lower case",
        id="pool-name",
    ),
    pytest.param(
        {"php_fpm_pools": [{"name": "deenify", "user": "www-data"}]},
        "the user neither root nor www-data",
        id="user",
    ),
    pytest.param(
        {"php_fpm_pools": [{"name": "deenify", "pm": "lazy"}]},
        "value of pm must be one of: dynamic, static, ondemand, got: lazy found in php_fpm_pools",
        id="pool-pm",
    ),
    pytest.param(
        {"php_fpm_pools": [{"name": "deenify", "request_terminate_timeout": 300}]},
        "php_fpm_process_control_timeout: 60 s is shorter than the longest request_terminate_timeout (300 s)",
        id="reload-cuts-requests",
    ),
    pytest.param({"php_fpm_memory_percent": 150}, "php_fpm_memory_percent: 150 is not a percentage", id="percent"),
    pytest.param(
        {"php_composer_min_version": "two"}, "php_composer_min_version: 'two' is not a version", id="composer"
    ),
    pytest.param({"php_max_execution_time": "a minute"}, "php_max_execution_time", id="int-type"),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, overrides, expected):
    bad_input_runs(overrides).assert_refused_naming(expected)
