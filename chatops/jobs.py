"""Jobs: one ansible-runner run per command, at most one per environment at a time.

Each job runs in its own private data directory (``<state>/jobs/<id>``) through
``ansible_runner.run_async``. Its events drive the progress messages (throttled, so a
channel is not flooded), the per-host summary and the job's log; every event is redacted
in place before ansible-runner writes it to the artifacts, no stdout file is kept, and
the directory is swept once more when the job ends. Only the newest ``keep`` job
directories stay.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from chatops.redact import Redactor

Post = Callable[[str], None]
# The task actions whose messages a channel is shown, and how much of one message.
DEBUG_ACTIONS = frozenset({"debug", "ansible.builtin.debug", "ansible.legacy.debug"})
MESSAGE_LIMIT = 500


class BusyError(RuntimeError):
    """The environment already runs a job; the text names it."""


@dataclass
class HostTally:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass
class Job:
    id: str
    environment: str
    description: str
    user: str
    started: float
    directory: Path
    status: str = "starting"
    ended: float | None = None
    rc: int | None = None
    cancel_requested: bool = False
    tallies: dict[str, HostTally] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    first_event_at: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return self.ended is None

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def summary(self) -> str:
        """One line per host (ok, changed, failed, unreachable), then the failed tasks' messages."""
        took = f"{(self.ended or time.time()) - self.started:.0f} s"
        head = f"job {self.id} ({self.description}) {self.status} after {took}"
        rows = [
            f"  {host}: ok={t.ok} changed={t.changed} failed={t.failed} unreachable={t.unreachable}"
            for host, t in sorted(self.tallies.items())
        ]
        failed = [f"  failed: {line}" for line in self.failures[:10]]
        if len(self.failures) > 10:
            failed.append(f"  ... and {len(self.failures) - 10} more (log {self.id})")
        return "\n".join([head, *rows, *failed])


class Progress:
    """Turns runner events into few chat messages: plays, failures, and a task at most every interval."""

    def __init__(self, job: Job, post: Post, redactor: Redactor, interval: float) -> None:
        self.job, self.post, self.redactor, self.interval = job, post, redactor, interval
        self._last = 0.0
        self._pending_task: str | None = None
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> bool:
        self.redactor.redact_in_place(event)
        job = self.job
        if job.first_event_at is None:
            job.first_event_at = time.time()
        stdout = event.get("stdout") or ""
        if stdout:
            job.lines.extend(stdout.splitlines())
            del job.lines[:-2000]
        kind = event.get("event", "")
        data = event.get("event_data", {}) or {}
        now = time.monotonic()
        if kind == "playbook_on_play_start":
            self._say(f"play: {data.get('play', '')}", now, force=True)
        elif kind == "playbook_on_task_start":
            self._pending_task = f"task: {data.get('task', '')}"
            self._say(self._pending_task, now)
        elif kind in {"runner_on_failed", "runner_on_unreachable"} and not data.get("ignore_errors"):
            host = data.get("host", "?")
            result = data.get("res", {}) or {}
            message = result.get("msg") or result.get("stderr") or result.get("reason") or "see the log"
            if result.get("censored"):
                message = "(output hidden: no_log)"
            what = "unreachable" if kind == "runner_on_unreachable" else "failed"
            line = f"{host}: {data.get('task', '')} {what}: {str(message)[:MESSAGE_LIMIT]}"
            job.failures.append(line)
            self._say(line, now, force=True)
        elif kind == "runner_on_ok" and data.get("task_action") in DEBUG_ACTIONS:
            # A playbook's debug messages are what it tells its operator (status.yml's answer,
            # the release a deploy builds): they go to the channel as they come.
            result = data.get("res", {}) or {}
            message = result.get("msg")
            if message and not result.get("censored"):
                text = message if isinstance(message, str) else json.dumps(message, sort_keys=True)
                self._say(f"{data.get('host', '?')}: {text[:MESSAGE_LIMIT]}", now, force=True)
        elif kind == "playbook_on_stats":
            for key, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"),
                              ("dark", "unreachable"), ("skipped", "skipped")):  # fmt: skip
                for host, count in (data.get(key) or {}).items():
                    setattr(job.tallies.setdefault(host, HostTally()), attr, count)
        return True

    def _say(self, text: str, now: float, force: bool = False) -> None:
        with self._lock:
            if force or now - self._last >= self.interval:
                self._last = now
                if text == self._pending_task:
                    self._pending_task = None
                self.post(f"[{self.job.id}] {text}")

    def flush(self) -> None:
        """Post the task held back by the interval, once the interval has passed (a long task shows)."""
        if self._pending_task is not None:
            self._say(self._pending_task, time.monotonic())


@dataclass(frozen=True)
class Run:
    """What ansible-runner runs: a playbook of the project, an inventory, data, and fixed flags."""

    playbook: Path
    inventory: Path
    extravars: dict[str, str]
    flags: tuple[str, ...] = ()
    envvars: dict[str, str] = field(default_factory=dict)


def _never_raising(handler: Callable[..., object], job: Job, keep: bool | None = None) -> Callable[..., object]:
    """``handler``, with its errors written to stderr: one raised into ansible-runner's thread would
    leave the job running forever, and its environment locked."""

    def call(*args: object, **kwargs: object) -> object:
        try:
            return handler(*args, **kwargs)
        except Exception as error:  # anything at all, so that the job still ends
            print(f"deenify-bot: job {job.id}: {type(error).__name__} in {handler!r}: {error}", file=sys.stderr)
            return keep

    return call


def search_path() -> str:
    """PATH with this Python's directory first: the bot's virtualenv holds its ansible-playbook."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")])


class JobManager:
    def __init__(self, state_dir: Path, project_dir: Path, keep: int = 50, progress_interval: float = 5.0) -> None:
        self.state_dir = Path(state_dir)
        self.project_dir = Path(project_dir)
        self.keep = keep
        self.progress_interval = progress_interval
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        (self.state_dir / "jobs").mkdir(parents=True, exist_ok=True, mode=0o700)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)

    def running_in(self, environment: str) -> Job | None:
        return next((j for j in self._jobs.values() if j.environment == environment and j.running), None)

    def start(
        self,
        run: Run,
        environment: str,
        description: str,
        user: str,
        post: Post,
        redactor: Redactor,
        on_done: Callable[[Job], None] | None = None,
    ) -> Job:
        with self._lock:
            busy = self.running_in(environment)
            if busy is not None:
                raise BusyError(
                    f"{environment} is busy with job {busy.id} ({busy.description}, by {busy.user}, "
                    f"{time.time() - busy.started:.0f} s ago): one job per environment at a time. "
                    f"Wait for it, or cancel {busy.id}"
                )
            job_id = secrets.token_hex(4)
            directory = self.state_dir / "jobs" / job_id
            directory.mkdir(mode=0o700)
            job = Job(job_id, environment, description, user, time.time(), directory)
            self._jobs[job_id] = job
        progress = Progress(job, post, redactor, self.progress_interval)

        # ansible-runner says "running" once ansible-playbook's process exists, long before
        # the first play: the channel learns at once that the job is under way.
        def status(data: dict[str, Any], runner_config: object = None) -> None:
            if data.get("status") == "running":
                post(f"[{job_id}] running: {run.playbook.name} on {run.inventory.name}")

        def finished(runner: object) -> None:
            job.rc = getattr(runner, "rc", None)
            status = getattr(runner, "status", "unknown")
            job.status = "canceled" if job.cancel_requested else status
            job.ended = time.time()
            redactor.redact_tree(directory)
            self._prune()
            try:
                if on_done is not None:
                    on_done(job)
            finally:
                job._done.set()

        try:
            ansible_runner.run_async(
                private_data_dir=str(directory),
                project_dir=str(self.project_dir),
                playbook=str(run.playbook),
                inventory=str(run.inventory),
                extravars=dict(run.extravars),
                cmdline=" ".join(run.flags) if run.flags else None,
                envvars={
                    "ANSIBLE_CONFIG": str(self.project_dir / "ansible.cfg"),
                    "ANSIBLE_NOCOLOR": "1",
                    "PATH": search_path(),
                    **run.envvars,
                },
                ident=job_id,
                quiet=True,
                suppress_output_file=True,
                event_handler=_never_raising(progress, job, keep=True),
                status_handler=_never_raising(status, job),
                cancel_callback=lambda: job.cancel_requested,
                finished_callback=finished,
            )
        except Exception:
            with self._lock:
                self._jobs.pop(job_id, None)
            shutil.rmtree(directory, ignore_errors=True)
            raise
        job.status = "running"

        def heartbeat() -> None:
            while not job._done.wait(self.progress_interval / 2):
                progress.flush()

        threading.Thread(target=heartbeat, name=f"progress-{job_id}", daemon=True).start()
        return job

    def cancel(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is not None and job.running:
            job.cancel_requested = True
        return job

    def _prune(self) -> None:
        """Keep the newest ``keep`` job directories of ended jobs; never a running job's."""
        root = self.state_dir / "jobs"
        running = {j.id for j in self._jobs.values() if j.running and j.ended is None}
        ended = [p for p in root.iterdir() if p.is_dir() and p.name not in running]
        ended.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in ended[self.keep :]:
            shutil.rmtree(old, ignore_errors=True)
            with self._lock:
                if old.name in self._jobs and not self._jobs[old.name].running:
                    del self._jobs[old.name]
