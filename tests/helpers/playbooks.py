"""Run a role against a test instance over SSH, as an operator's laptop would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml


def run_role_over_ssh(
    workdir: Path,
    address: str,
    user: str,
    key: Path,
    role: str,
    role_vars: dict,
    tags: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Apply ``role`` to ``address``, logged in as ``user`` with ``key`` and using sudo."""
    inventory = {
        "all": {
            "hosts": {
                "target": {
                    "ansible_host": address,
                    "ansible_user": user,
                    "ansible_ssh_private_key_file": str(key),
                    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                }
            }
        }
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "vars.yml").write_text(yaml.safe_dump(role_vars))
    (workdir / "play.yml").write_text(
        textwrap.dedent(
            f"""\
            - name: Apply {role} over SSH
              hosts: all
              become: true
              vars_files: [vars.yml]
              roles: [{role}]
            """
        )
    )
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "inventory.yml", "play.yml"]
    if tags:
        argv += ["--tags", tags]
    # An operator's run: Ansible's own strategy, not the scenarios' Mitogen.
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_STRATEGY", "ANSIBLE_STRATEGY_PLUGINS")}
    return subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=900, check=False)
