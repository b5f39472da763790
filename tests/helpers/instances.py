"""Reach molecule's test instances the way users and operators do: over SSH.

The instances live on a docker network that the test run created; the controller
reaches them at their addresses there. Nothing here talks to any other address.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SSH_OPTIONS = [
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "ConnectTimeout=10",
    "-o", "LogLevel=ERROR",
]  # fmt: skip


def ephemeral_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])


def address_of(container: str) -> str:
    """The instance's address on its (first) test network."""
    out = subprocess.run(
        ["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", container],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    networks = json.loads(out)
    addresses = [n["IPAddress"] for n in networks.values() if n.get("IPAddress")]
    assert addresses, f"{container} has no address on any docker network: {networks}"
    return addresses[0]


@dataclass
class SshResult:
    rc: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"rc={self.rc}\nstdout: {self.stdout.strip()}\nstderr: {self.stderr.strip()}"


def ssh(address: str, user: str, command: str, key: Path | None = None, *options: str) -> SshResult:
    """Run ``command`` on ``address`` as ``user`` over SSH; never raises on failure."""
    argv = ["ssh", *SSH_OPTIONS, *options]
    if key is not None:
        argv += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
    argv += [f"{user}@{address}", command]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return SshResult(proc.returncode, proc.stdout, proc.stderr)
