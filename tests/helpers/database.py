"""Run database clients inside a scenario's containers without a password on any command line.

The password travels in the environment of ``docker exec`` (MYSQL_PWD, PGPASSWORD), so it
is in no argument list, process table or failure message.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.helpers.playbooks import ROOT, ansible_playbook


def instance(name: str) -> str:
    """The container of the scenario's platform ``name`` (db, client, stranger)."""
    return f"{os.environ['DEENIFY_INSTANCE_PREFIX']}-{name}-{os.environ['MOLECULE_DISTRO']}"


@dataclass
class ClientResult:
    rc: int
    stdout: str
    stderr: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: rc={self.rc}\nstdout: {self.stdout.strip()}\nstderr: {self.stderr.strip()}"

    @property
    def rows(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line]


def client(container: str, argv: list[str], password: str | None = None, stdin: str | None = None) -> ClientResult:
    """Run ``argv`` in ``container``; ``password`` reaches mariadb or psql through the environment."""
    env = dict(os.environ)
    command = ["docker", "exec", "-i"]
    if password is not None:
        env["MYSQL_PWD"] = env["PGPASSWORD"] = password
        command += ["-e", "MYSQL_PWD", "-e", "PGPASSWORD"]
    proc = subprocess.run(
        [*command, container, *argv], input=stdin, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return ClientResult(proc.returncode, proc.stdout, proc.stderr, f"{container} $ {' '.join(argv)}")


def mariadb(
    container: str, user: str, password: str | None, sql: str, host: str | None = None, db: str = ""
) -> ClientResult:
    """``sql`` through the mariadb client as ``user``; over TCP to ``host``, else the local socket."""
    argv = ["mariadb", "--batch", "--skip-column-names", "--connect-timeout=5", "-u", user]
    if host:
        argv += ["-h", host, "--protocol=TCP"]
    argv += ["-e", sql] + ([db] if db else [])
    return client(container, argv, password)


def psql(
    container: str, user: str, password: str | None, sql: str, host: str | None = None, db: str = ""
) -> ClientResult:
    """``sql`` through psql as ``user``; over TCP to ``host``, else the local socket."""
    argv = ["psql", "-X", "--no-psqlrc", "-At", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", db or user, "-c", sql]
    if host:
        argv += ["-h", host]
    return client(container, ["env", "PGCONNECT_TIMEOUT=5", *argv], password)


def apply_role(
    workdir: Path, container: str, values: dict, check: bool = False, tags: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the database role with ``values`` on the scenario's ``container``, as converge does.

    It runs on the scenario's Mitogen strategy, as molecule's own runs do; ``check=True``
    runs it with --check --diff, as an operator's first look at a host would. The role
    gathers the few facts it needs itself.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "vars.yml").write_text(yaml.safe_dump(values))
    play = [
        {
            "name": "Apply the database role",
            "hosts": container,
            "gather_facts": False,
            "vars_files": ["vars.yml"],
            "roles": ["database"],
        }
    ]
    (workdir / "play.yml").write_text(yaml.safe_dump(play))
    strategy = {
        "ANSIBLE_STRATEGY_PLUGINS": str(ROOT / "tests" / "molecule" / "strategy_plugins"),
        "ANSIBLE_STRATEGY": "mitogen_linear",
        "ANSIBLE_DEPRECATION_WARNINGS": "false",
    }
    return ansible_playbook(
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], "play.yml",
        *(["--check", "--diff"] if check else []), *(["--tags", tags] if tags else []),
        cwd=workdir, extra_env=strategy,
    )  # fmt: skip
