"""A new, never converged host beside a scenario's instances, for check-mode tests."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tests.helpers.playbooks import ROOT, ansible_playbook


@contextmanager
def fresh_host(name: str, workdir: Path) -> Iterator[str]:
    """Start a container from the scenario's base image, as `make up` would, and remove it after.

    It gets the same systemd settings, test network and package cache as the scenario's
    instances (playbooks/local/tasks/systemd_containers.yml), and fresh package lists, as
    a newly provisioned server has.
    """
    distro = os.environ.get("MOLECULE_DISTRO") or "debian13"
    start = [
        {
            "name": "Start a fresh host",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Start the container",
                    "ansible.builtin.include_tasks": str(ROOT / "playbooks/local/tasks/systemd_containers.yml"),
                    "vars": {
                        "systemd_containers": [{"name": name}],
                        "systemd_containers_image": f"deenify-ops/base:{distro}",
                        "systemd_containers_networks": [{"name": os.environ["DEENIFY_TEST_NETWORK"]}],
                        "systemd_containers_labels": {"owner": "deenify-ops-tests"},
                        "systemd_containers_apt_proxy": os.environ.get("DEENIFY_APT_PROXY", ""),
                        "systemd_containers_cpu_shares": int(os.environ.get("DEENIFY_CPU_SHARES") or 1024),
                    },
                }
            ],
        }
    ]
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "start.yml").write_text(yaml.safe_dump(start, sort_keys=False))
    try:
        started = ansible_playbook("start.yml", cwd=workdir)
        assert started.returncode == 0, f"could not start {name}:\n{started.stdout[-3000:]}"
        updated = subprocess.run(
            ["docker", "exec", name, "apt-get", "update", "-q"], capture_output=True, text=True, check=False
        )
        assert updated.returncode == 0, updated.stdout[-2000:] + updated.stderr[-2000:]
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def check_run(host: str, playbook: Path, workdir: Path, extra_vars: dict) -> subprocess.CompletedProcess[str]:
    """Run ``playbook`` with --check --diff against ``host`` over docker."""
    inventory = {"all": {"hosts": {host: {"ansible_connection": "docker"}}}}
    (workdir / "fresh-inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "fresh-vars.yml").write_text(yaml.safe_dump(extra_vars))
    return ansible_playbook(
        "-i", "fresh-inventory.yml", "-e", "@fresh-vars.yml", "--check", "--diff", str(playbook), cwd=workdir
    )


def assert_check_would_change(run: subprocess.CompletedProcess[str], host: str, at_least: int) -> None:
    """A --check run on a new host succeeded and reported at least ``at_least`` changes there."""
    assert run.returncode == 0, run.stdout[-4000:]
    recap = re.search(rf"{re.escape(host)}\s*: ok=\d+\s+changed=(\d+)", run.stdout)
    assert recap, f"no recap line for {host}:\n{run.stdout[-3000:]}"
    changed = int(recap.group(1))
    assert changed >= at_least, (
        f"a new host should need {at_least} changes or more, not {changed}:\n{run.stdout[-3000:]}"
    )
