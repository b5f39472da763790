"""Run ansible-playbook from the tests: against test instances, or against nothing at all."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _command(args: tuple[str, ...], operator: bool, extra_env: dict[str, str] | None) -> tuple[list[str], dict]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", **(extra_env or {}))
    if operator:
        env.pop("ANSIBLE_STRATEGY", None)
        env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
    return [str(Path(sys.executable).with_name("ansible-playbook")), *args], env


def ansible_playbook(
    *args: str, cwd: Path, operator: bool = False, timeout: int = 900, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the virtualenv's ansible-playbook with the repository's ansible.cfg.

    ``operator=True`` runs it as an operator would, with Ansible's own strategy rather
    than the Mitogen strategy the molecule scenarios use.
    """
    argv, env = _command(args, operator, extra_env)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def start_ansible_playbook(
    *args: str, cwd: Path, output: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """ansible-playbook in the background, its output written to ``output``.

    It leads a process group of its own, so that a test can kill it with every worker
    it forked, as an operator's lost SSH session or Ctrl-C twice would.
    """
    argv, env = _command(args, False, extra_env)
    with output.open("wb") as sink:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)


def run_role_over_ssh(
    workdir: Path,
    address: str,
    user: str,
    key: Path,
    role: str,
    role_vars: dict,
    tags: str | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Apply ``role`` to ``address``, logged in as ``user`` with ``key`` and using sudo.

    ``check=True`` runs it with --check --diff, as an operator looking for drift would.
    """
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
    args = (
        ["-i", "inventory.yml", "play.yml"]
        + (["--tags", tags] if tags else [])
        + (["--check", "--diff"] if check else [])
    )
    return ansible_playbook(*args, cwd=workdir, operator=True)


def run_role_against_nothing(workdir: Path, role: str, role_vars: dict) -> subprocess.CompletedProcess[str]:
    """Apply ``role`` to a host that cannot be reached (loopback, a closed port).

    A role checks its inputs on the controller before it touches a host, so a bad value
    fails with its message and a good one gets as far as UNREACHABLE. Nothing is changed
    anywhere: the only connection attempted is to 127.0.0.1 port 1.
    """
    inventory = {
        "all": {
            "hosts": {
                "closed-port": {
                    "ansible_host": "127.0.0.1",
                    "ansible_port": 1,
                    "ansible_user": "nobody",
                    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o ConnectTimeout=3",
                }
            }
        }
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "vars.yml").write_text(yaml.safe_dump(role_vars))
    (workdir / "play.yml").write_text(
        f"- name: Apply {role}\n  hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n  roles: [{role}]\n"
    )
    return ansible_playbook("-i", "inventory.yml", "play.yml", cwd=workdir, timeout=120)
