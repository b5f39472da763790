"""Run the deploy, rollback and unlock playbooks against a scenario's instances.

The inventory is the scenario's own (its group_vars/all.yml and its hosts in the groups
molecule gave them), reached over docker, so a test drives playbooks/deploy.yml exactly
as an operator drives it against staging.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers.playbooks import ROOT, ansible_playbook, start_ansible_playbook

# Skipped hosts make no line: the output reads as an operator's terminal does.
QUIET_SKIPS = {"ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false"}


@dataclass
class Run:
    rc: int
    output: str  # stdout and stderr, white space folded so wrapped messages read as one line
    raw: str

    def __str__(self) -> str:
        return f"rc={self.rc}\n{self.raw[-4000:]}"


def write_inventory(
    workdir: Path,
    scenario: Path,
    groups: dict[str, list[str]],
    environment: str = "local",
    group_vars: Path | None = None,
) -> Path:
    """An inventory of the scenario's ``groups`` (group -> containers) with its group_vars.

    ``group_vars`` is the file of variables, when it is not the scenario's group_vars/all.yml.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    hosts = sorted({host for members in groups.values() for host in members})
    inventory = {
        "all": {
            "hosts": {host: {"ansible_connection": "docker"} for host in hosts},
            "vars": {"deenify_environment": environment},
            "children": {group: {"hosts": dict.fromkeys(members)} for group, members in groups.items()},
        }
    }
    path = workdir / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    source = group_vars or scenario / "group_vars" / "all.yml"
    (workdir / "group_vars").mkdir(exist_ok=True)
    (workdir / "group_vars" / "all.yml").write_text(source.read_text())
    return path


def _arguments(inventory: Path, playbook: str, args: tuple[str, ...], extra_vars: dict[str, object]) -> list[str]:
    extra = [arg for key, value in extra_vars.items() for arg in ("-e", f"{key}={value}")]
    return ["-i", str(inventory), str(ROOT / "playbooks" / playbook), *extra, *args]


def _run(rc: int, raw: str) -> Run:
    return Run(rc, " ".join(raw.split()), raw)


def run_playbook(inventory: Path, playbook: str, *args: str, timeout: int = 900, **extra_vars: object) -> Run:
    """ansible-playbook playbooks/<playbook> with ``-e key=value`` for each extra variable."""
    proc = ansible_playbook(
        *_arguments(inventory, playbook, args, extra_vars), cwd=inventory.parent, timeout=timeout, extra_env=QUIET_SKIPS
    )
    return _run(proc.returncode, proc.stdout + proc.stderr)


@dataclass
class Background:
    """A playbook run started with start_playbook: wait for it, or kill it midway."""

    proc: subprocess.Popen[bytes]
    output: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: int = 900) -> Run:
        rc = self.proc.wait(timeout=timeout)
        return _run(rc, self.output.read_text(errors="replace"))

    def kill(self) -> Run:
        """SIGKILL to ansible-playbook and every process it started on the controller."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        return self.wait(timeout=60)


def start_playbook(inventory: Path, playbook: str, *args: str, **extra_vars: object) -> Background:
    """run_playbook in the background; the output goes to a file beside the inventory."""
    runs = sorted(inventory.parent.glob("run-*.log"))
    output = inventory.parent / f"run-{len(runs) + 1:03d}.log"
    proc = start_ansible_playbook(
        *_arguments(inventory, playbook, args, extra_vars), cwd=inventory.parent, output=output, extra_env=QUIET_SKIPS
    )
    return Background(proc, output)


def scenario_dir() -> Path:
    return Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])


def clone_mirror(source: Path, mirror: Path) -> Path:
    """A bare mirror of ``source`` (a repository or a bundle file) at ``mirror``, on the controller."""
    subprocess.run(["git", "clone", "--quiet", "--mirror", str(source), str(mirror)], check=True, capture_output=True)
    return mirror
