"""Run the deploy, rollback and unlock playbooks against a scenario's instances.

The inventory is the scenario's own (its group_vars/all.yml and its hosts in the groups
molecule gave them), reached over docker, so a test drives playbooks/deploy.yml exactly
as an operator drives it against staging.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers.playbooks import ROOT, ansible_playbook


@dataclass
class Run:
    rc: int
    output: str  # stdout and stderr, white space folded so wrapped messages read as one line
    raw: str

    def __str__(self) -> str:
        return f"rc={self.rc}\n{self.raw[-4000:]}"


def write_inventory(workdir: Path, scenario: Path, groups: dict[str, list[str]], environment: str = "local") -> Path:
    """An inventory of the scenario's ``groups`` (group -> containers) with its group_vars."""
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
    group_vars = workdir / "group_vars"
    group_vars.mkdir(exist_ok=True)
    (group_vars / "all.yml").write_text((scenario / "group_vars" / "all.yml").read_text())
    return path


def run_playbook(inventory: Path, playbook: str, *args: str, timeout: int = 900, **extra_vars: object) -> Run:
    """ansible-playbook playbooks/<playbook> with ``-e key=value`` for each extra variable."""
    extra = [arg for key, value in extra_vars.items() for arg in ("-e", f"{key}={value}")]
    proc = ansible_playbook(
        "-i", str(inventory), str(ROOT / "playbooks" / playbook), *extra, *args,
        cwd=inventory.parent, timeout=timeout, extra_env={"ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false"},
    )  # fmt: skip
    raw = proc.stdout + proc.stderr
    return Run(proc.returncode, " ".join(raw.split()), raw)


def scenario_dir() -> Path:
    return Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
