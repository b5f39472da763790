"""Run ansible-playbook from the tests: against test instances, or against nothing at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
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


# A host that cannot be reached: loopback, a closed port. The only connection the runs
# against it attempt is to 127.0.0.1 port 1.
CLOSED_PORT = {
    "ansible_host": "127.0.0.1",
    "ansible_port": 1,
    "ansible_user": "nobody",
    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o ConnectTimeout=3",
}


def _write_role_play(workdir: Path, role: str, hosts: dict[str, dict], vars_files: list[str]) -> None:
    """An inventory of ``hosts`` (each at CLOSED_PORT, with its own variables) and a play applying ``role``."""
    inventory = {"all": {"hosts": {host: CLOSED_PORT | values for host, values in hosts.items()}}}
    play = [{"name": f"Apply {role}", "hosts": "all", "gather_facts": False, "roles": [role]}]
    if vars_files:
        play[0]["vars_files"] = vars_files
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))


def run_role_against_nothing(workdir: Path, role: str, role_vars: dict) -> subprocess.CompletedProcess[str]:
    """Apply ``role`` to a host that cannot be reached (CLOSED_PORT).

    A role checks its inputs on the controller before it touches a host, so a bad value
    fails with its message and a good one gets as far as UNREACHABLE. Nothing is changed
    anywhere.
    """
    _write_role_play(workdir, role, {"closed-port": {}}, ["vars.yml"])
    (workdir / "vars.yml").write_text(yaml.safe_dump(role_vars))
    return ansible_playbook("-i", "inventory.yml", "play.yml", cwd=workdir, timeout=120)


@dataclass(frozen=True)
class HostOutcome:
    """What one host of a batched run went through: every task that ran on it, in order."""

    host: str
    failed: bool
    unreachable: bool
    text: str

    @property
    def refused(self) -> bool:
        """A task failed on the controller: the run stopped before it tried the host."""
        return self.failed and not self.unreachable

    def __str__(self) -> str:
        return f"{self.host}:\n{self.text[-3000:]}"

    def assert_refused_naming(self, expected: str) -> None:
        """The role's validation stopped this case, with ``expected`` in its message."""
        assert self.refused, f"validation let it through:\n{self}"
        assert expected in " ".join(self.text.split()), str(self)


def _messages(result: dict) -> list[str]:
    """A task result's messages, those of its loop items included."""
    found = [str(result["msg"])] if result.get("msg") else []
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("msg"):
            found.append(str(item["msg"]))
    return found


class BatchedRuns:
    """``run_cases_against_nothing``'s answer: the outcome of each case, looked up by its variables."""

    def __init__(self, hosts: dict[str, dict], outcomes: dict[str, HostOutcome], raw: str, base: dict) -> None:
        self._hosts = {json.dumps(values, sort_keys=True): host for host, values in hosts.items()}
        self._outcomes = outcomes
        self._base = base
        self.raw = raw

    def __call__(self, overrides: dict) -> HostOutcome:
        """The outcome of the case whose variables are ``overrides`` (over the base)."""
        host = self._hosts[json.dumps(self._base | overrides, sort_keys=True)]
        if host not in self._outcomes:
            raise AssertionError(f"{host} ran no task at all:\n{self.raw[-3000:]}")
        return self._outcomes[host]


def run_cases_against_nothing(workdir: Path, role: str, cases: list[dict], base: dict | None = None) -> BatchedRuns:
    """Apply ``role`` once to one unreachable host per case, each with its own variables.

    The same check as ``run_role_against_nothing``, in one ansible-playbook run for a
    whole table of bad inputs: every case is a host at CLOSED_PORT whose host
    variables are the case's, so each fails, or reaches UNREACHABLE, on its own. The
    answer gives, per case, the tasks that ran on its host and their messages, read from
    Ansible's JSON output rather than from lines meant for a terminal. ``base`` holds
    good values that every case starts from.
    """
    base = base or {}
    hosts = {f"case{number}": base | values for number, values in enumerate(cases)}
    if len({json.dumps(values, sort_keys=True) for values in hosts.values()}) != len(cases):
        raise ValueError("two cases have the same variables: their outcomes could not be told apart")
    _write_role_play(workdir, role, hosts, [])
    run = ansible_playbook(
        "-i",
        "inventory.yml",
        "play.yml",
        cwd=workdir,
        timeout=300,
        # The JSON report alone on stdout: the callback named in callbacks_enabled replaces
        # ansible.cfg's profile_tasks, whose timings would land in the middle of it.
        extra_env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json"},
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(
            f"ansible-playbook printed no JSON report ({error}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        ) from error
    lines: dict[str, list[str]] = {}
    failed: set[str] = set()
    unreachable: set[str] = set()
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("unreachable"):
                    state = "UNREACHABLE"
                    unreachable.add(host)
                elif result.get("failed"):
                    state = "FAILED"
                    failed.add(host)
                elif result.get("skipped"):
                    state = "skipped"
                else:
                    state = "ok"
                lines.setdefault(host, []).append(
                    " ".join([f"TASK [{task['task']['name']}] {state}:", *_messages(result)])
                )
    outcomes = {
        host: HostOutcome(host, host in failed, host in unreachable, "\n".join(found)) for host, found in lines.items()
    }
    return BatchedRuns(hosts, outcomes, run.stdout + run.stderr, base)
