"""What ``php artisan`` printed, read into facts: which migrations exist, ran, and are pending.

Laravel changed its console output in 9.x. Laravel 8 (Debian 12's php-laravel-framework
8.83) prints ``Migrating: <name>`` / ``Migrated:  <name> (12.34ms)`` and a Symfony table for
``migrate:status``; Laravel 10 and later (Debian 13 ships 10.48, the application runs 12)
print ``INFO  Running migrations.`` and one ``<name> ...... 12ms DONE`` line per migration,
and ``<name> ...... [1] Ran`` or ``...... Pending`` in ``migrate:status``. Both are read
here; the module always passes ``--no-ansi``, so no colour codes reach these parsers.
"""

from __future__ import annotations

import re

# Commands that only read, so they run in check mode and never report a change.
READ_ONLY_COMMANDS = frozenset(
    {
        "about",
        "config:show",
        "db:show",
        "env",
        "event:list",
        "help",
        "list",
        "migrate:status",
        "model:show",
        "queue:failed",
        "route:list",
        "schedule:list",
    }
)
# Options of `migrate` that `migrate:status` understands too: the status must look at the same migrations.
STATUS_OPTIONS = ("--database", "--path", "--realpath")

_COMMAND = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Laravel 8: | Yes  | 2014_10_12_000000_create_users_table | 1     |
_STATUS_TABLE_ROW = re.compile(r"^\|\s*(?P<ran>Yes|No)\s*\|\s*(?P<name>\S+)\s*\|\s*(?P<batch>\d*)\s*\|\s*$")
# Laravel 10+: "  2014_10_12_000000_create_users_table ....... [1] Ran"; long names leave no dots.
_STATUS_DETAIL = re.compile(r"^\s+(?P<name>[^\s/]+)\s+(?:\.+\s+)?(?:\[(?P<batch>\d+)\]\s+)?(?P<status>Ran|Pending)\s*$")
# Laravel 10+: "  2024_01_01_000000_create_donations_table ....... 12ms DONE" (or FAIL). A schema
# file loaded first shows as a path, which holds a / and is no migration.
_TASK = re.compile(r"^\s+(?P<name>[^\s/]+)\s+(?:\.+\s+)?(?:[\d,.]+\s*m?s\s+)?(?P<result>DONE|FAIL)\s*$")
_MIGRATED_8 = re.compile(r"^Migrated:\s+(?P<name>\S+)")
_MIGRATING_8 = re.compile(r"^Migrating:\s+(?P<name>\S+)")

NO_MIGRATIONS = ("No migrations found",)
NOTHING_TO_MIGRATE = "Nothing to migrate"
TABLE_MISSING = "Migration table not found"
# Output that says migrate changed the database besides running migrations.
_PREPARED = (
    "Migration table created successfully",  # Laravel 8
    "Creating migration table",  # Laravel 10+
    "Loading stored database schema",  # both: a schema dump loaded into an empty database
    "Loaded stored database schema",
)
# Writing commands that say so when there was nothing to do.
_ALREADY = {
    "down": ("Application is already down",),
    "up": ("Application is already up",),
}


# What Laravel, Symfony Console and PHP print when something broke, in any Laravel version.
_ERROR_LINE = re.compile(
    r"SQLSTATE|Exception|\bERROR\b|\bError\b|error:|failed|\bFAIL\b|cancelled|not defined|does not exist|"
    r"Could not|denied|refused"
)


class ArtisanError(ValueError):
    """Input the module refuses, with a message saying what to give instead."""


def check_command(command: object) -> str:
    if not isinstance(command, str) or not command.strip():
        raise ArtisanError("command is empty; give an artisan command such as migrate or config:cache")
    if any(char.isspace() for char in command):
        first, *rest = command.split()
        raise ArtisanError(
            f"command {command!r} holds spaces; give the command alone ({first!r}) and the rest as "
            f"arguments ({rest!r}): they are passed as separate words, never through a shell"
        )
    if command.startswith("-"):
        raise ArtisanError(f"command {command!r} is an option; give the artisan command and put options in arguments")
    if not _COMMAND.match(command):
        raise ArtisanError(f"command {command!r} is not an artisan command name (letters, digits and : _ . -)")
    return command


def check_environment(environment: dict) -> dict[str, str]:
    """The environment as strings; the message names a bad variable, never a value."""
    checked = {}
    for name, value in environment.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise ArtisanError(f"environment: {name!r} is not a variable name")
        if value is None or isinstance(value, list | dict):
            raise ArtisanError(f"environment: {name} must be a string, number or boolean")
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if "\0" in text:
            raise ArtisanError(f"environment: the value of {name} contains a NUL character")
        checked[name] = text
    return checked


def kind(command: str, arguments: list[str], read_only: bool) -> str:
    """'migrate', 'read' or 'write': how the module runs the command and reports a change."""
    if command == "migrate":
        # --pretend prints the SQL and touches nothing.
        return "read" if "--pretend" in arguments else "migrate"
    if read_only or command in READ_ONLY_COMMANDS:
        return "read"
    return "write"


def status_arguments(arguments: list[str]) -> list[str]:
    """The arguments of a `migrate` that select migrations, for the `migrate:status` beside it."""
    picked = []
    for index, argument in enumerate(arguments):
        option = argument.split("=", 1)[0]
        if option not in STATUS_OPTIONS:
            continue
        picked.append(argument)
        separate_value = "=" not in argument and option != "--realpath"
        if separate_value and index + 1 < len(arguments) and not arguments[index + 1].startswith("-"):
            picked.append(arguments[index + 1])
    return picked


def parse_status(output: str) -> list[dict] | None:
    """The migrations listed by `migrate:status`, in its order; None when the output lists none
    and does not say there are none (the format is not one this parser knows)."""
    migrations = []
    for line in output.splitlines():
        row = _STATUS_TABLE_ROW.match(line)
        if row:
            batch = row["batch"]
            migrations.append({"name": row["name"], "ran": row["ran"] == "Yes", "batch": int(batch) if batch else None})
            continue
        detail = _STATUS_DETAIL.match(line)
        if detail:
            batch = detail["batch"]
            migrations.append(
                {"name": detail["name"], "ran": detail["status"] == "Ran", "batch": int(batch) if batch else None}
            )
    if migrations or any(marker in output for marker in NO_MIGRATIONS):
        return migrations
    return None


def pending(migrations: list[dict]) -> list[str]:
    return [migration["name"] for migration in migrations if not migration["ran"]]


def parse_migrate(output: str) -> dict:
    """What `migrate` says it did: migrations run, the one that failed, other changes."""
    ran: list[str] = []
    started: list[str] = []
    failed = None
    for line in output.splitlines():
        task = _TASK.match(line)
        if task:
            if task["result"] == "DONE":
                ran.append(task["name"])
            else:
                failed = task["name"]
            continue
        migrated = _MIGRATED_8.match(line)
        if migrated:
            ran.append(migrated["name"])
            continue
        migrating = _MIGRATING_8.match(line)
        if migrating:
            started.append(migrating["name"])
    if failed is None:
        # Laravel 8 names the migration it starts; the one never reported done is the one that broke.
        failed = next((name for name in started if name not in ran), None)
    return {
        "ran": ran,
        "failed": failed,
        "nothing_to_migrate": NOTHING_TO_MIGRATE in output,
        "prepared": any(marker in output for marker in _PREPARED),
    }


def newly_ran(before: list[dict] | None, after: list[dict]) -> list[str]:
    """Migrations that ran between two `migrate:status` listings, in the order of the second."""
    done_before = set() if before is None else {migration["name"] for migration in before if migration["ran"]}
    return [migration["name"] for migration in after if migration["ran"] and migration["name"] not in done_before]


def write_changed(command: str, output: str) -> bool:
    """Whether a writing command that succeeded changed something.

    Most commands (config:cache, queue:restart, optimize, ...) do their work every time they
    run, so success means a change; the caller decides when to run them. Those that tell when
    there was nothing to do are believed.
    """
    if any(marker in output for marker in _ALREADY.get(command, ())):
        return False
    if command == "storage:link":
        return "has been connected" in output or "link already exists" not in output
    return True


def excerpt(stdout: str, stderr: str, limit: int = 300) -> str:
    """The line of the output an operator needs first: the error, when one is recognisable."""
    lines = [line.strip() for text in (stderr, stdout) for line in text.splitlines() if line.strip()]
    error = next((line for line in lines if _ERROR_LINE.search(line)), None)
    if error is None:
        error = next((line.strip() for line in stderr.splitlines() if line.strip()), lines[-1] if lines else "")
    return error[:limit]
