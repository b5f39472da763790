"""Talk to a test instance's Redis the way the application does, and re-apply the role.

``resp`` speaks Redis's wire protocol over TCP from the controller, so the tests see
what a Laravel worker on another host would see. ``apply_redis_role`` runs the role
against the scenario's instances with changed inputs, as an operator would.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import yaml

from tests.helpers.playbooks import ROOT, ansible_playbook


def _encode(command: list[str]) -> bytes:
    parts = [f"*{len(command)}\r\n".encode()]
    for word in command:
        data = word.encode()
        parts.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(parts)


def _reply(stream) -> str:
    line = stream.readline().decode().rstrip("\r\n")
    if not line:
        raise ConnectionError("the server closed the connection")
    kind, rest = line[0], line[1:]
    if kind in "+-:":
        return line if kind == "-" else rest
    if kind == "$":
        length = int(rest)
        return "(nil)" if length < 0 else stream.read(length + 2)[:-2].decode()
    if kind == "*":
        return json.dumps([_reply(stream) for _ in range(int(rest))])
    raise ValueError(f"unexpected reply: {line!r}")


def resp(address: str, port: int, *commands: list[str], timeout: float = 5) -> list[str]:
    """Send ``commands`` on one connection; each reply as text, errors as ``-ERR ...``.

    Raises OSError (ConnectionRefusedError, timeout) when nothing listens there.
    """
    with socket.create_connection((address, port), timeout=timeout) as conn:
        conn.sendall(b"".join(_encode(c) for c in commands))
        stream = conn.makefile("rb")
        return [_reply(stream) for _ in commands]


def scenario_vars() -> dict:
    """The variables the scenario converged with (molecule/default/group_vars/all.yml)."""
    path = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "group_vars" / "all.yml"
    return yaml.safe_load(path.read_text())


def apply_redis_role(workdir: Path, overrides: dict, limit: str):
    """Converge ``limit`` again with the scenario's variables and ``overrides`` on top."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    (workdir / "overrides.json").write_text(json.dumps(overrides))
    (workdir / "play.yml").write_text(
        f"- name: Apply redis again\n  hosts: all\n  vars_files: ['{scenario / 'group_vars' / 'all.yml'}']\n"
        "  roles: [redis]\n"
    )
    strategy = os.environ.get("DEENIFY_STRATEGY", "mitogen_linear")
    env = {"ANSIBLE_STRATEGY": strategy, "ANSIBLE_STRATEGY_PLUGINS": str(ROOT / "tests/molecule/strategy_plugins")}
    return ansible_playbook(
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", limit, "-e", "@overrides.json", "play.yml",
        cwd=workdir, timeout=600, extra_env=env,
    )  # fmt: skip
