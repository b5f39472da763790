"""Talk to the web tier of a scenario's instance: HTTP as a browser would, and role re-runs.

Requests go from the controller to the instance's address on the scenario's own docker
network, with the Host header of the site under test. Nothing else is contacted.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.helpers.playbooks import ansible_playbook


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def __str__(self) -> str:
        return f"HTTP {self.status}\n{self.headers}\n{self.text[:1500]}"


def request(
    address: str,
    path: str,
    host: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    port: int = 80,
) -> Response:
    """One HTTP request; raises what http.client raises when the server closes or refuses."""
    connection = http.client.HTTPConnection(address, port, timeout=15)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        reply = connection.getresponse()
        raw = reply.getheaders()
        return Response(reply.status, {k.lower(): v for k, v in raw}, reply.read(), raw)
    finally:
        connection.close()


def port_is_closed(address: str, port: int) -> tuple[bool, str]:
    """True when a TCP connection to ``address:port`` is refused; the second value says what happened."""
    try:
        with socket.create_connection((address, port), timeout=5):
            return False, "connected"
    except ConnectionRefusedError as error:
        return True, str(error)
    except OSError as error:
        return False, f"neither refused nor connected: {error}"


def apply_roles(
    workdir: Path, container: str, roles: list[str], role_vars: dict, tags: str | None = None
) -> tuple[int, str]:
    """Apply ``roles`` to the instance over docker, as converge.yml does, with ``role_vars``.

    Returns the exit code and the output with runs of white space folded, so that a
    message Ansible wrapped over several lines can be searched as one line.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "inventory.yml").write_text(
        yaml.safe_dump({"all": {"hosts": {container: {"ansible_connection": "docker"}}}})
    )
    (workdir / "vars.yml").write_text(yaml.safe_dump(role_vars))
    play = [{"name": "Re-apply", "hosts": "all", "vars_files": ["vars.yml"], "roles": roles}]
    (workdir / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    args = ["-i", "inventory.yml", "play.yml"] + (["--tags", tags] if tags else [])
    run = ansible_playbook(*args, cwd=workdir)
    return run.returncode, " ".join((run.stdout + run.stderr).split())


def scenario_vars(scenario: Path) -> dict:
    """The variables of the scenario's converge play (a fresh copy each call)."""
    return yaml.safe_load((scenario / "converge.yml").read_text())[0]["vars"]
