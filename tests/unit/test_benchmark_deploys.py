"""scripts/benchmark_deploys.py refuses bad arguments and a stack that does not answer.

It never starts a deploy here: every case stops before the first playbook, and the only
address contacted is a loopback port that nothing listens on.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "benchmark_deploys.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False)


def closed_port() -> int:
    """A loopback port that was free a moment ago and has nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rounds", "0"], "--rounds must be at least 1"),
        (["--rounds", "three"], "invalid int value"),
        (["--port", "70000"], "--port must be between 1 and 65535"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(args, message):
    done = run(*args)
    assert done.returncode == 2, done
    assert message in done.stderr, done.stderr


def test_without_a_local_stack_it_says_to_run_make_up_and_deploys_nothing(tmp_path):
    port = closed_port()
    done = run("--port", str(port), "--json", str(tmp_path / "figures.json"))
    assert done.returncode == 1, done
    assert f"Nothing answers http://localhost:{port}/ with a release: run `make up` first." in done.stderr
    assert not (tmp_path / "figures.json").exists()
