"""The bot: from a chat message to a refusal, a request for approval, or a job.

Adapters (chat platforms, the CLI) hand every message to :meth:`Bot.handle` with the
sender's id and a ``post`` function for the messages that come later (progress, the
summary). What :meth:`Bot.handle` returns is the immediate answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatops.approvals import ApprovalError, Approvals, Pending
from chatops.audit import AuditLog, now_iso
from chatops.catalog import NotAvailableError, extravars_for, playbook_for
from chatops.commands import Command, ParseError, parse, usage
from chatops.config import Config
from chatops.jobs import BusyError, Job, JobManager, Post, Run
from chatops.permissions import Policy
from chatops.redact import Redactor, VaultError, vault_values


@dataclass(frozen=True)
class Reply:
    text: str
    ok: bool = True
    job: Job | None = None
    approval: str | None = None  # a request id: adapters offer approve/deny for it


class Bot:
    def __init__(self, config: Config, policy: Policy | None = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.environments = config.environments()
        self.policy = policy or Policy.load(config.permissions, self.environments)
        config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.redactor = Redactor(())
        self._vault_problems: dict[str, str] = {}
        for environment in sorted(self.environments):
            self._load_vault(environment)
        self.audit = AuditLog(config.audit_log, self.redactor)
        self.approvals = Approvals(self.policy, config.state_dir / "approvals.json")
        self.jobs = JobManager(config.state_dir, config.project, config.keep_jobs, config.progress_interval)

    def _load_vault(self, environment: str) -> None:
        """Learn an environment's vault values, so that none of them is ever shown."""
        password_file = self.config.vault_password_file(environment)
        if password_file is None:
            self._vault_problems[environment] = (
                f"no vault password file for {environment} (vault_password_files in the bot's configuration)"
            )
            return
        try:
            password = Path(password_file).read_bytes().strip()
            self.redactor.add(vault_values(self.config.inventory(environment), password, environment))
        except (OSError, VaultError) as error:
            self._vault_problems[environment] = f"the vault of {environment} cannot be read: {error}"

    # the entry points of the adapters

    def handle(self, user: str, text: str, post: Post) -> Reply:
        started = self.clock()
        try:
            command = parse(text, self.environments)
        except ParseError as error:
            self._record("refused", user, None, started, result=f"not a command: {error}", text=text)
            return Reply(str(error), ok=False)
        # log and cancel are checked against their job's environment.
        if command.name in {"log", "cancel"}:
            return self._job_command(user, command, started)
        decision = self.policy.check(user, command.name, command.environment)
        if not decision.allowed:
            self._record("refused", user, command, started, result=decision.reason)
            return Reply(f"Refused: {decision.reason}.", ok=False)
        if command.name == "help":
            return Reply("Commands:\n" + usage())
        if command.name == "jobs":
            return Reply(self._jobs_text(user))
        if command.name in {"approve", "deny"}:
            return self._answer_request(user, command, post, started)
        try:
            playbook_for(command, self.config.project)
        except NotAvailableError as error:
            self._record("refused", user, command, started, result=str(error))
            return Reply(str(error), ok=False)
        if decision.needs_approval:
            pending = self.approvals.request(user, command, started, decision.approver_role or "admin")
            self._record("awaiting-approval", user, command, started, result=decision.reason, request=pending.id)
            return Reply(
                f"{command.describe()} waits for a second {pending.approver_role}'s approval "
                f"(request {pending.id}, {self.policy.approval_window} s): approve {pending.id}",
                approval=pending.id,
            )
        return self._start(user, command, post, started)

    def approve(self, user: str, request: str, post: Post) -> Reply:
        return self.handle(user, f"approve {request}", post)

    def deny(self, user: str, request: str, post: Post) -> Reply:
        return self.handle(user, f"deny {request}", post)

    # the parts

    def _answer_request(self, user: str, command: Command, post: Post, started: float) -> Reply:
        request = command.args["request"]
        try:
            if command.name == "deny":
                pending = self._deny(user, request)
                self._record("denied", user, pending.command, started, request=request, requester=pending.requester)
                return Reply(f"Request {request} ({pending.command.describe()}) denied by {self.policy.name(user)}.")
            pending = self.approvals.approve(request, user, started)
        except ApprovalError as error:
            self._record("refused", user, command, started, result=str(error))
            return Reply(f"Refused: {error}.", ok=False)
        return self._start(pending.requester, pending.command, post, started, approver=user)

    def _deny(self, user: str, request: str) -> Pending:
        waiting = {p.id: p for p in self.approvals.waiting(self.clock())}
        pending = waiting.get(request)
        if pending is None:
            raise ApprovalError(f"no request {request} waits for approval")
        environment = pending.command.environment or ""
        if user != pending.requester and not self.policy.has(user, environment, pending.approver_role):
            raise ApprovalError(f"denying needs {pending.approver_role} in {environment}, or to be the one who asked")
        return self.approvals.deny(request, user)

    def _start(self, user: str, command: Command, post: Post, started: float, approver: str | None = None) -> Reply:
        environment = command.environment or ""
        problem = self._vault_problems.get(environment)
        if problem:
            self._record("refused", user, command, started, approver=approver, result=problem)
            return Reply(f"Refused: {problem}; no job runs unless its secrets can be kept out of chat.", ok=False)
        playbook, entry = playbook_for(command, self.config.project)
        envvars = {}
        password_file = self.config.vault_password_file(environment)
        if environment != "local" and password_file is not None:
            envvars["ANSIBLE_VAULT_IDENTITY_LIST"] = f"{environment}@{password_file}"
        run = Run(playbook, self.config.inventory(environment), extravars_for(command, entry), entry.flags, envvars)
        who = self.policy.name(user)

        def done(job: Job) -> None:
            self._record(
                "finished", user, command, job.started, approver=approver, job=job.id, end=job.ended,
                result=job.status, rc=job.rc,
            )  # fmt: skip
            post(self.redactor.redact(job.summary()))

        try:
            job = self.jobs.start(run, environment, command.describe(), who, post, self.redactor, on_done=done)
        except BusyError as error:
            self._record("refused", user, command, started, approver=approver, result=str(error))
            return Reply(f"Refused: {error}.", ok=False)
        self._record("started", user, command, started, approver=approver, job=job.id)
        by = f" by {who}" + (f", approved by {self.policy.name(approver)}" if approver else "")
        text = f"[{job.id}] started: {command.describe()}{by}. Progress follows; cancel {job.id} stops it."
        return Reply(text, job=job)

    def _job_command(self, user: str, command: Command, started: float) -> Reply:
        job = self.jobs.get(command.args["job"])
        if job is None:
            return Reply(f"no job {command.args['job']} (jobs lists them)", ok=False)
        decision = self.policy.check(user, command.name, job.environment)
        if not decision.allowed:
            self._record("refused", user, command, started, result=decision.reason, job=job.id)
            return Reply(f"Refused: {decision.reason}.", ok=False)
        if command.name == "log":
            lines = [line for line in job.lines if line.strip()][-30:]
            return Reply(self.redactor.redact("\n".join([f"[{job.id}] {job.description}: {job.status}", *lines])))
        if not job.running:
            return Reply(f"job {job.id} already ended ({job.status})", ok=False)
        self.jobs.cancel(job.id)
        self._record("cancel-requested", user, command, started, job=job.id)
        return Reply(f"[{job.id}] stopping at the next task ({job.description}), as {self.policy.name(user)} asked.")

    def _jobs_text(self, user: str) -> str:
        visible = [j for j in self.jobs.jobs() if self.policy.has(user, j.environment, "viewer")]
        if not visible:
            return "no jobs yet"
        return "\n".join(
            f"{j.id}  {j.environment:<10} {j.status:<10} {j.description} (by {j.user}, {now_iso(j.started)[:19]}Z)"
            for j in visible[:20]
        )

    def _record(self, event: str, user: str, command: Command | None, start: float, **fields: object) -> None:
        end = fields.pop("end", None)
        record = {
            "event": event,
            "who": user,
            "name": self.policy.name(user),
            "command": command.name if command else None,
            "environment": command.environment if command else None,
            "arguments": dict(command.args) if command else {},
            "approver": fields.pop("approver", None),
            "job": fields.pop("job", None),
            "start": now_iso(start),
            "end": now_iso(end) if isinstance(end, int | float) else None,
            "result": fields.pop("result", None),
        }
        self.audit.write(**record, **fields)
