"""Who is running this play, for the deploy lock; and whether a lock's holder still runs.

A deploy lock names its holder by controller host, user, and the pid and start time of
the ansible-playbook process. When a lock is found, this lookup tells whether that
process is still alive on this controller: the start time guards against a new process
that happens to have the old pid.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

DOCUMENTATION = r"""
name: deploy_controller
author: deenify-ops
version_added: "0.1.0"
short_description: Describe the run that deploys, or tell whether a deploy lock's holder still runs
description:
  - Without terms, returns a dict describing this run, to store as the holder of the deploy lock, with
    C(controller) (this machine's host name), C(user) (the controller user), C(pid) (the
    C(ansible-playbook), C(ansible-runner) or C(ansible) process running the play), C(started) (that
    process's start time, as an opaque string), and C(playbook) (the playbook files on its command line).
  - The process is found by walking up from the process that evaluates the lookup through its parents
    until a command line runs C(ansible-playbook), C(ansible-runner) or C(ansible); forked workers carry
    their parent's command line, so the outermost of those is taken. Without one, the parent process is
    used, with a warning.
  - With the term C(alive) and O(holder), returns true when the holder's controller is this machine and a
    process with its pid and start time exists; false when its controller is this machine and no such
    process exists (the holder is gone, or its pid now belongs to another process); null when the holder
    ran on another controller, or gave no pid or start time, since this machine cannot tell (the lock's TTL
    decides then).
  - On Linux the process table is read from C(/proc) (start time in clock ticks since boot); elsewhere
    (macOS controllers) from C(ps).
options:
  _terms:
    description: Nothing, to describe this run; or C(alive), to ask about O(holder).
    type: list
    elements: str
    required: false
  holder:
    description: With the term C(alive), the holder of a deploy lock (the C(holder) of M(deploy_lock)'s C(lock)).
    type: dict
"""

EXAMPLES = r"""
- name: Take the deploy lock for this run
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: present
    holder: "{{ lookup('deploy_controller') | combine({'release': __app_release_id}) }}"

- name: Take over the lock when its holder's process is gone
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: present
    holder: "{{ __app_holder }}"
    take_over: "{{ __app_lock_seen.lock.token }}"
  when: lookup('deploy_controller', 'alive', holder=__app_lock_seen.lock.holder) is false
"""

RETURN = r"""
_raw:
  description:
    - Without terms, a dict with C(controller), C(user), C(pid) (int), C(started) (str) and C(playbook) (str,
      several files separated by spaces, empty for ad hoc commands).
    - With C(alive), true, false, or null (cannot tell).
  type: raw
  sample:
    controller: ops-laptop
    user: amina
    pid: 41822
    started: "8812345"
    playbook: playbooks/deploy.yml
"""

PROGRAMS = frozenset({"ansible-playbook", "ansible-runner", "ansible"})
_PYTHON = re.compile(r"^python[0-9.]*$")
# Options whose value may end in .yml without being a playbook.
_VALUE_OPTIONS = frozenset(
    {"-i", "--inventory", "--inventory-file", "-e", "--extra-vars", "--vault-id", "--vault-password-file", "-M"}
)
_PLAYBOOK_OPTIONS = frozenset({"-p", "--playbook"})

display = Display()


@dataclass
class Process:
    """What the process table says about one process."""

    pid: int
    ppid: int
    started: str
    state: str = ""
    argv: list[str] = field(default_factory=list)

    @property
    def dead(self) -> bool:
        # A zombie has exited and only waits for its parent to collect it.
        return self.state.startswith(("Z", "X"))


def _read_proc(pid: int) -> Process | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name in parentheses may itself hold spaces and parentheses.
    fields = text[text.rindex(")") + 2 :].split()
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        raw = b""
    argv = [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    # fields[0] is field 3 of proc_pid_stat(5): state; ppid is field 4, starttime field 22.
    return Process(pid=pid, ppid=int(fields[1]), started=fields[19], state=fields[0], argv=argv)


def _read_ps(pid: int) -> Process | None:
    def ps(*columns: str) -> str:
        options = [part for column in columns for part in ("-o", f"{column}=")]
        done = subprocess.run(  # noqa: S603 - a fixed program; the pid is a number
            ["ps", *options, "-p", str(pid)],  # noqa: S607 - ps lives in /bin on macOS and /usr/bin on Debian
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    head = ps("ppid", "stat", "lstart").split()
    if len(head) < 3:
        return None
    return Process(pid=pid, ppid=int(head[0]), state=head[1], started=" ".join(head[2:]), argv=ps("command").split())


def read_process(pid: int) -> Process | None:
    """The process ``pid``, or None when there is none."""
    if pid <= 0:
        return None
    if os.path.isdir("/proc/self"):
        return _read_proc(pid)
    return _read_ps(pid)


def _program_index(argv: list[str]) -> int | None:
    """Where the program sits in ``argv``, past an interpreter and its options."""
    for index, arg in enumerate(argv):
        name = os.path.basename(arg)
        if arg.startswith("-") or _PYTHON.match(name):
            continue
        return index
    return None


def runs_ansible(argv: list[str]) -> bool:
    """True when the command line runs ansible-playbook, ansible-runner or ansible."""
    index = _program_index(argv)
    return index is not None and os.path.basename(argv[index]) in PROGRAMS


def playbooks(argv: list[str]) -> str:
    """The playbook files on an ansible command line, separated by spaces."""
    index = _program_index(argv)
    if index is None:
        return ""
    found = []
    args = argv[index + 1 :]
    skip = False
    for position, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in _PLAYBOOK_OPTIONS and position + 1 < len(args):
            found.append(args[position + 1])
            skip = True
        elif arg.startswith("--playbook="):
            found.append(arg.partition("=")[2])
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-") and arg.endswith((".yml", ".yaml")):
            found.append(arg)
    return " ".join(found)


def find_ansible_process(start: int | None = None) -> Process | None:
    """The outermost ansible process among ``start`` (this process by default) and its ancestors."""
    pid = os.getpid() if start is None else start
    seen: set[int] = set()
    while pid > 0 and pid not in seen:
        seen.add(pid)
        process = read_process(pid)
        if process is None:
            return None
        if runs_ansible(process.argv):
            # Ansible forks its workers, and a fork keeps the command line: climb to the process that started them.
            parent = read_process(process.ppid)
            while parent is not None and parent.argv == process.argv and parent.pid not in seen:
                seen.add(parent.pid)
                process, parent = parent, read_process(parent.ppid)
            return process
        pid = process.ppid
    return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def controller_info(warn: Callable[[str], None] = display.warning) -> dict:
    """This run, as a deploy lock stores its holder."""
    process = find_ansible_process()
    if process is None:
        parent = os.getppid()
        warn(
            f"deploy_controller: no ansible-playbook, ansible-runner or ansible process found above pid {os.getpid()}; "
            f"the deploy lock names the parent process {parent} instead"
        )
        process = read_process(parent) or Process(pid=parent, ppid=0, started="")
    return {
        "controller": socket.gethostname(),
        "user": _user(),
        "pid": process.pid,
        "started": process.started,
        "playbook": playbooks(process.argv),
    }


def holder_alive(holder: Mapping) -> bool | None:
    """True when ``holder``'s process runs here, False when it ran here and is gone, None when this host cannot tell."""
    if str(holder.get("controller") or "") != socket.gethostname():
        return None
    try:
        pid = int(holder.get("pid"))
    except (TypeError, ValueError):
        return None
    if pid <= 0:
        return None
    process = read_process(pid)
    if process is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            # It exists but this user may not see it (/proc mounted with hidepid).
            return None
        return None
    if process.dead:
        return False
    started = str(holder.get("started") or "")
    if not started:
        return None
    return process.started == started


class LookupModule(LookupBase):
    """lookup('deploy_controller') and lookup('deploy_controller', 'alive', holder=...)."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if not terms:
            return [controller_info()]
        if list(terms) == ["alive"]:
            holder = self.get_option("holder")
            if not isinstance(holder, Mapping):
                raise AnsibleLookupError(
                    f"deploy_controller: 'alive' needs holder=<the holder of a deploy lock> as a dict, got {holder!r}"
                )
            return [holder_alive(holder)]
        raise AnsibleLookupError(
            f"deploy_controller: unknown terms {list(terms)!r}; use lookup('deploy_controller') "
            "or lookup('deploy_controller', 'alive', holder=<lock holder>)"
        )
