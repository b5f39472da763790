"""Wrong input to the queue_workers role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing


def run_role(tmp_path: Path, role_vars: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "queue_workers", role_vars)


def programs(**entry: object) -> dict:
    return {"queue_workers_programs": [{"name": "deenify-worker", **entry}]}


@pytest.mark.parametrize(
    "role_vars",
    [
        pytest.param({}, id="defaults"),
        pytest.param(
            {
                "queue_workers_programs": [
                    {"name": "deenify-default", "numprocs": 4},
                    {"name": "deenify-reports", "queues": ["reports"], "timeout": 600, "stopwaitsecs": 660},
                ]
            },
            id="two-programs",
        ),
        pytest.param(programs(connection="database", queues=["{high}", "default"]), id="database-and-hash-tag"),
        pytest.param({"queue_workers_programs": []}, id="no-programs"),
    ],
)
def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path, role_vars):
    run = run_role(tmp_path, role_vars)
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


ROLE = "queue_workers"
BAD_INPUT = [
    pytest.param(
        programs(timeout=120, stopwaitsecs=120),
        "queue_workers_programs[deenify-worker]: stopwaitsecs (120) must be above timeout (120)",
        id="stopwaitsecs-equal-to-timeout",
    ),
    pytest.param(
        {"queue_workers_timeout": 300},
        "queue_workers_programs[deenify-worker]: stopwaitsecs (90) must be above timeout (300), or supervisor "
        "kills a worker that is still finishing its job when it stops or restarts it. Give stopwaitsecs 330 or "
        "more, in the entry or in queue_workers_stopwaitsecs",
        id="raised-timeout-without-stopwaitsecs",
    ),
    pytest.param(
        programs(numprocs=0),
        "queue_workers_programs[deenify-worker].numprocs: 0 must be 1 or more worker processes",
        id="no-workers",
    ),
    pytest.param(
        {"queue_workers_numprocs": -1},
        "queue_workers_programs[deenify-worker].numprocs: -1 must be 1 or more",
        id="negative-numprocs-default",
    ),
    pytest.param(
        programs(connection="redis://cache:6379"),
        "queue_workers_programs[deenify-worker].connection: 'redis://cache:6379' is not a queue connection name",
        id="connection-as-address",
    ),
    pytest.param(
        {"queue_workers_connection": "Redis Queue"},
        "queue_workers_programs[deenify-worker].connection: 'Redis Queue' is not a queue connection name",
        id="connection-with-space",
    ),
    pytest.param(
        programs(connection="sync"),
        "sync runs each job when it is dispatched, so no worker ever gets one",
        id="sync-connection",
    ),
    pytest.param(
        programs(queues=[]),
        "queue_workers_programs[deenify-worker].queues: [] must list at least one queue",
        id="empty-queues",
    ),
    pytest.param(
        programs(queues=["high,low"]),
        "queue_workers_programs[deenify-worker].queues: ['high,low'] must list at least one queue, each letters",
        id="comma-in-queue-name",
    ),
    pytest.param(
        programs(timeout=0, stopwaitsecs=30),
        "timeout (0) at least 1 second",
        id="no-timeout",
    ),
    pytest.param(
        {"queue_workers_timeout": 900, "queue_workers_stopwaitsecs": 930},
        "queue_workers_programs[deenify-worker].timeout: 900 s is not below queue_workers_retry_after (900 s)",
        id="timeout-reaches-retry-after",
    ),
    pytest.param(
        {"queue_workers_programs": [{"name": "deenify-worker"}, {"name": "deenify-worker"}]},
        "queue_workers_programs: names must be unique",
        id="duplicate-names",
    ),
    pytest.param(
        programs(name="Deenify Worker"),
        "queue_workers_programs: names must be unique, lower case letters",
        id="name-with-space",
    ),
    pytest.param({"queue_workers_programs": [{"numprocs": 2}]}, "missing required arguments: name", id="no-name"),
    pytest.param(programs(numproc=2), "numproc", id="misspelt-setting"),
    pytest.param({"queue_workers_user": "root"}, "queue_workers_user: 'root' must be", id="root"),
    pytest.param(
        {"queue_workers_app_root": "srv/deenify"},
        "queue_workers_app_root ('srv/deenify') and queue_workers_log_dir ('/var/log/supervisor') must be absolute",
        id="relative-app-root",
    ),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
