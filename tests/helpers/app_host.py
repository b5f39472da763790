"""Look at the sample app on a scenario's host: its live release, its queue workers, waits.

Every function takes a testinfra host; none changes anything on it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

ROOT_DIR = "/srv/deenify"
STATUS_LINE = re.compile(r"^(?P<group>[\w-]+):(?P<name>[\w-]+)\s+(?P<state>[A-Z]+)\s+(?:pid (?P<pid>\d+),)?")
T = TypeVar("T")


def live(host) -> str:
    """The id of the release that `current` points at."""
    return host.file(f"{ROOT_DIR}/current").linked_to.rsplit("/", 1)[-1]


def status(host) -> list[dict]:
    """supervisorctl status, one dict per process: group, name, state, pid."""
    out = host.run("supervisorctl status").stdout
    return [m.groupdict() for m in map(STATUS_LINE.match, out.splitlines()) if m]


def running(host) -> dict[str, int]:
    """Process name -> pid of every worker that supervisor reports RUNNING."""
    return {p["name"]: int(p["pid"]) for p in status(host) if p["state"] == "RUNNING" and p["pid"]}


def process(host, pid: int) -> dict:
    """What the kernel says of a process: its user, working directory and command line."""
    user = host.check_output("stat -c %%U /proc/%s", str(pid))
    # Without CAP_SYS_PTRACE (a container's root lacks it) only the owner may read cwd.
    cwd = host.check_output("runuser -u %s -- readlink /proc/%s/cwd", user, str(pid))
    cmdline = host.file(f"/proc/{pid}/cmdline").content.replace(b"\0", b" ").decode().strip()
    return {"user": user, "cwd": cwd, "cmdline": cmdline}


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 1.0) -> T:
    """The first truthy value of predicate() within timeout seconds, else the last one."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
