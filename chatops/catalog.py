"""What each command runs: a playbook of this repository, its data and its fixed flags.

Arguments from chat become extra variables (data handed to ansible-runner), never text
on a command line; the only flags are the constants written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatops.commands import Command


@dataclass(frozen=True)
class Entry:
    playbook: str  # relative to the project
    flags: tuple[str, ...] = ()
    # extra variable <- command argument
    variables: tuple[tuple[str, str], ...] = ()


CATALOG: dict[str, Entry] = {
    "status": Entry("playbooks/status.yml"),
    "deploy": Entry("playbooks/deploy.yml", variables=(("app_ref", "ref"),)),
    "rollback": Entry("playbooks/rollback.yml", variables=(("app_rollback_to", "release"),)),
    "backup": Entry("playbooks/backup.yml", variables=(("backup_scope", "scope"),)),
    "restore": Entry("playbooks/restore.yml", variables=(("restore_snapshot", "snapshot"),)),
    "incident": Entry("playbooks/incident/{kind}.yml"),
    "drift": Entry("playbooks/site.yml", flags=("--check", "--diff")),
    "rotate-secrets": Entry("playbooks/rotate-secrets.yml"),
    "unlock": Entry("playbooks/unlock.yml"),
}


class NotAvailableError(LookupError):
    """The command's playbook is not in this repository yet."""


def playbook_for(command: Command, project: Path) -> tuple[Path, Entry]:
    entry = CATALOG[command.name]
    path = project / entry.playbook.format(**command.args)
    if not path.is_file():
        raise NotAvailableError(
            f"{command.name} is not available yet: {path.relative_to(project)} is not in this repository. "
            "Nothing was run."
        )
    return path, entry


def extravars_for(command: Command, entry: Entry) -> dict[str, str]:
    return {variable: command.args[arg] for variable, arg in entry.variables if arg in command.args}
