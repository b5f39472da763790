"""Parse a chat message into a command, strictly.

Only letters, digits, space and ``. _ / -`` may appear in a message; it is split on
spaces, never handed to a shell. Each argument must match its own pattern, and none may
start with ``-``, so no argument can become an option of ansible-playbook. The
environment must be one of the inventories that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_LENGTH = 200
_ALLOWED = re.compile(r"^[A-Za-z0-9 ._/-]*$")

# A git tag, branch or commit: no "..", no leading "-" or "/", no "//", no trailing "/" or ".lock".
REF = re.compile(r"^(?!.*\.\.)(?!.*//)(?!.*\.lock$)[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}(?<![/.])$")
# A release id as the app role names them: UTC time and the commit's short sha.
RELEASE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7,40}$")
# A restic snapshot id (short or full) or "latest".
SNAPSHOT = re.compile(r"^(?:[0-9a-f]{8,64}|latest)$")
JOB = re.compile(r"^[0-9a-f]{8}$")
ENVIRONMENT = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

BACKUP_SCOPES = ("db", "files", "all")
INCIDENTS = ("payments", "receipts", "slow")


class ParseError(ValueError):
    """A message that is not a command; the text says what is wrong and what would be right."""


@dataclass(frozen=True)
class Command:
    name: str
    environment: str | None = None
    args: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """The command as a person would type it, from the parsed values only."""
        parts = [self.name]
        if self.environment:
            parts.append(self.environment)
        parts.extend(self.args.values())
        return " ".join(parts)


@dataclass(frozen=True)
class _Spec:
    usage: str
    summary: str
    environment: bool = True
    # (name, pattern or choices, required)
    args: tuple[tuple[str, re.Pattern[str] | tuple[str, ...], bool], ...] = ()
    # incident takes its kind before the environment
    kind_first: bool = False


# fmt: off
SPECS: dict[str, _Spec] = {
    "help": _Spec("help", "what the bot can do", environment=False),
    "status": _Spec("status <env>", "the live release on each host and who holds the deploy lock"),
    "deploy": _Spec("deploy <env> [ref]", "deploy a tag, branch or commit (the inventory's app_ref without one)",
                    args=(("ref", REF, False),)),
    "rollback": _Spec("rollback <env> [release]", "back to the previous good release, or a named one",
                      args=(("release", RELEASE, False),)),
    "backup": _Spec("backup <env> [db|files|all]", "take a backup now (all without a scope)",
                    args=(("scope", BACKUP_SCOPES, False),)),
    "restore": _Spec("restore <env> <snapshot>", "restore a backup snapshot (an id or latest)",
                     args=(("snapshot", SNAPSHOT, True),)),
    "incident": _Spec("incident <payments|receipts|slow> <env>", "run the runbook's first steps for an incident",
                      args=(("kind", INCIDENTS, True),), kind_first=True),
    "drift": _Spec("drift <env>", "what site.yml would change (--check --diff), changing nothing"),
    "rotate-secrets": _Spec("rotate-secrets <env>", "new database and Redis passwords from the vault, no downtime"),
    "unlock": _Spec("unlock <env>", "remove the deploy lock (the holder is named)"),
    "jobs": _Spec("jobs", "the jobs running and the last ones", environment=False),
    "cancel": _Spec("cancel <job>", "stop a running job", environment=False, args=(("job", JOB, True),)),
    "log": _Spec("log <job>", "the last lines of a job's output", environment=False, args=(("job", JOB, True),)),
    "approve": _Spec("approve <request>", "approve someone else's request (a restore in production)",
                     environment=False, args=(("request", JOB, True),)),
    "deny": _Spec("deny <request>", "turn a request down", environment=False, args=(("request", JOB, True),)),
}
# fmt: on


def usage() -> str:
    width = max(len(spec.usage) for spec in SPECS.values())
    return "\n".join(f"{spec.usage.ljust(width)}  {spec.summary}" for spec in SPECS.values())


def _check(name: str, value: str, rule: re.Pattern[str] | tuple[str, ...], command: str) -> str:
    if value.startswith("-"):
        raise ParseError(f"{command}: '{value}' starts with '-'; arguments are never options")
    if isinstance(rule, tuple):
        if value not in rule:
            raise ParseError(f"{command}: {name} must be one of {', '.join(rule)} (got '{value}')")
    elif not rule.fullmatch(value):
        raise ParseError(f"{command}: '{value}' is not a valid {name}")
    return value


def parse(text: object, environments: Iterable[str]) -> Command:
    """The command in ``text``; ParseError naming the problem otherwise.

    ``environments`` are the inventories that exist (inventories/<name>).
    """
    if not isinstance(text, str):
        raise ParseError("a command is text")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"a command is at most {MAX_LENGTH} characters")
    if not _ALLOWED.match(text):
        bad = sorted({c for c in text if not _ALLOWED.match(c)})
        shown = ", ".join(repr(c) for c in bad[:5])
        raise ParseError(f"only letters, digits, spaces and . _ / - are allowed (not {shown}); try: help")
    words = text.split(" ")
    words = [w for w in words if w]
    if not words:
        raise ParseError("no command; try: help")
    name, rest = words[0].lower(), words[1:]
    spec = SPECS.get(name)
    if spec is None:
        raise ParseError(f"unknown command '{words[0][:30]}'; try: help")

    known = sorted(environments)
    environment: str | None = None
    args: dict[str, str] = {}
    positional = list(rest)
    if spec.kind_first:
        if not positional:
            raise ParseError(f"usage: {spec.usage}")
        kind_name, kind_rule, _ = spec.args[0]
        args[kind_name] = _check(kind_name, positional.pop(0), kind_rule, name)
    if spec.environment:
        if not positional:
            raise ParseError(f"usage: {spec.usage} (environments: {', '.join(known) or 'none'})")
        candidate = positional.pop(0)
        if candidate.startswith("-"):
            raise ParseError(f"{name}: '{candidate}' starts with '-'; arguments are never options")
        if not ENVIRONMENT.fullmatch(candidate) or candidate not in known:
            raise ParseError(f"{name}: no environment '{candidate[:32]}' (environments: {', '.join(known) or 'none'})")
        environment = candidate
    for arg_name, rule, required in spec.args[1:] if spec.kind_first else spec.args:
        if positional:
            args[arg_name] = _check(arg_name, positional.pop(0), rule, name)
        elif required:
            raise ParseError(f"usage: {spec.usage}")
    if positional:
        raise ParseError(f"{name}: too many arguments; usage: {spec.usage}")
    return Command(name, environment, args)
