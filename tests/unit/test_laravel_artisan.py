"""The laravel_artisan module: artisan commands whose `changed` can be believed."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path
from unittest import mock

import ansible.module_utils
import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from tests.helpers.modules import run_local_play

REPO = Path(__file__).resolve().parents[2]
# The module imports its logic as ansible.module_utils.laravel_artisan, as it does on a host.
if str(REPO / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "module_utils"))
artisan = importlib.import_module("ansible.module_utils.laravel_artisan")
_SPEC = importlib.util.spec_from_file_location("laravel_artisan_module", REPO / "library" / "laravel_artisan.py")
module = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(module)

DB_PASSWORD = "artisan-test-password-0042"  # noqa: S105 - a test value, never a real secret
USERS = "2014_10_12_000000_create_users_table"
DONATIONS = "2024_01_01_000000_create_donations_table"
RECEIPTS = "2024_02_10_120000_add_receipt_number_to_donations_table"
GIFT_AID = "2024_03_01_090000_create_gift_aid_declarations_table"


def text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# Laravel 10 output, printed by Laravel 10.48's own console components (Debian 13's
# php-laravel-framework, in the deenify-web container) with the arguments the Migrator and
# StatusCommand pass them, on an 80-column non-terminal as under Ansible. Trailing spaces are real.
STATUS_PENDING_10 = text(
    "",
    "  Migration name .............................................. Batch / Status  ",
    f"  {USERS} ............................... [1] Ran  ",
    f"  {DONATIONS} ........................... [1] Ran  ",
    f"  {RECEIPTS} ............ Pending  ",
    f"  {GIFT_AID} ............... Pending  ",
    "",
)
STATUS_DONE_10 = text(
    "",
    "  Migration name .............................................. Batch / Status  ",
    f"  {USERS} ............................... [1] Ran  ",
    f"  {DONATIONS} ........................... [1] Ran  ",
    f"  {RECEIPTS} ............ [2] Ran  ",
    f"  {GIFT_AID} ............... [2] Ran  ",
    "",
)
STATUS_ALL_RAN_10 = text(
    "",
    "  Migration name .............................................. Batch / Status  ",
    f"  {USERS} ............................... [1] Ran  ",
    f"  {DONATIONS} ........................... [1] Ran  ",
    "",
)
MIGRATE_NOTHING_10 = text("", "   INFO  Nothing to migrate.  ", "")
MIGRATE_RAN_10 = text(
    "",
    "   INFO  Running migrations.  ",
    "",
    f"  {RECEIPTS} .......... 15ms DONE",
    f"  {GIFT_AID} ............. 31ms DONE",
    "",
)
MIGRATE_FAILED_10 = text(
    "",
    "   INFO  Running migrations.  ",
    "",
    f"  {RECEIPTS} .......... 14ms DONE",
    f"  {GIFT_AID} .............. 3ms FAIL",
)
MIGRATE_NEW_DATABASE_10 = text(
    "",
    "   INFO  Preparing database.  ",
    "",
    "  Creating migration table .......................................... 9ms DONE",
    "",
    "   INFO  Running migrations.  ",
    "",
    f"  {USERS} ............................. 20ms DONE",
    f"  {DONATIONS} ......................... 28ms DONE",
    "",
)
TABLE_MISSING_10 = text("", "   ERROR  Migration table not found.  ", "")
# Symfony Console's rendering of the exception (Laravel without the dev-only Collision), wrapped at 80 columns.
SQL_ERROR = text(
    "",
    "In Connection.php line 829:",
    "                                                                               ",
    "  SQLSTATE[42S01]: Base table or view already exists: 1050 Table 'gift_aid_de  ",
    "  clarations' already exists                                                   ",
    "                                                                               ",
    "",
)

# Laravel 8 output. The status table was drawn by Symfony Console's Table with the rows Laravel
# 8's StatusCommand gives it (a pending row has two cells); the migrate lines are written from
# Laravel 8.83's Migrator (`note("<comment>Migrating:</comment> {$name}")`, then
# `note("<info>Migrated:</info>  {$name} ({$runTime}ms)")`), as no Laravel 8 was at hand to run.
STATUS_PENDING_8 = text(
    "+------+---------------------------------------------------------+-------+",
    "| Ran? | Migration                                               | Batch |",
    "+------+---------------------------------------------------------+-------+",
    f"| Yes  | {USERS}                    | 1     |",
    f"| Yes  | {DONATIONS}                | 1     |",
    f"| No   | {RECEIPTS} |       |",
    f"| No   | {GIFT_AID}    |       |",
    "+------+---------------------------------------------------------+-------+",
)
STATUS_DONE_8 = text(
    "+------+---------------------------------------------------------+-------+",
    "| Ran? | Migration                                               | Batch |",
    "+------+---------------------------------------------------------+-------+",
    f"| Yes  | {USERS}                    | 1     |",
    f"| Yes  | {DONATIONS}                | 1     |",
    f"| Yes  | {RECEIPTS} | 2     |",
    f"| Yes  | {GIFT_AID}    | 2     |",
    "+------+---------------------------------------------------------+-------+",
)
STATUS_ALL_RAN_8 = text(
    "+------+------------------------------------------+-------+",
    "| Ran? | Migration                                | Batch |",
    "+------+------------------------------------------+-------+",
    f"| Yes  | {USERS}     | 1     |",
    f"| Yes  | {DONATIONS} | 1     |",
    "+------+------------------------------------------+-------+",
)
MIGRATE_NOTHING_8 = text("Nothing to migrate.")
MIGRATE_RAN_8 = text(
    f"Migrating: {RECEIPTS}",
    f"Migrated:  {RECEIPTS} (14.52ms)",
    f"Migrating: {GIFT_AID}",
    f"Migrated:  {GIFT_AID} (31.07ms)",
)
MIGRATE_FAILED_8 = text(f"Migrating: {RECEIPTS}", f"Migrated:  {RECEIPTS} (14.52ms)", f"Migrating: {GIFT_AID}")
MIGRATE_NEW_DATABASE_8 = text(
    "Migration table created successfully.",
    f"Migrating: {USERS}",
    f"Migrated:  {USERS} (20.11ms)",
    f"Migrating: {DONATIONS}",
    f"Migrated:  {DONATIONS} (28.40ms)",
)
TABLE_MISSING_8 = text("Migration table not found.")

BEFORE = [
    {"name": USERS, "ran": True, "batch": 1},
    {"name": DONATIONS, "ran": True, "batch": 1},
    {"name": RECEIPTS, "ran": False, "batch": None},
    {"name": GIFT_AID, "ran": False, "batch": None},
]
AFTER = [*BEFORE[:2], {"name": RECEIPTS, "ran": True, "batch": 2}, {"name": GIFT_AID, "ran": True, "batch": 2}]
ALL_RAN = BEFORE[:2]
LARAVEL = {
    "10": {
        "pending": STATUS_PENDING_10,
        "done": STATUS_DONE_10,
        "all_ran": STATUS_ALL_RAN_10,
        "nothing": MIGRATE_NOTHING_10,
        "ran": MIGRATE_RAN_10,
        "failed": MIGRATE_FAILED_10,
        "new_database": MIGRATE_NEW_DATABASE_10,
        "table_missing": TABLE_MISSING_10,
    },
    "8": {
        "pending": STATUS_PENDING_8,
        "done": STATUS_DONE_8,
        "all_ran": STATUS_ALL_RAN_8,
        "nothing": MIGRATE_NOTHING_8,
        "ran": MIGRATE_RAN_8,
        "failed": MIGRATE_FAILED_8,
        "new_database": MIGRATE_NEW_DATABASE_8,
        "table_missing": TABLE_MISSING_8,
    },
}
PHP = "/usr/bin/php"
STATUS_CMD = [PHP, "artisan", "migrate:status", "--no-interaction", "--no-ansi"]
MIGRATE_CMD = [PHP, "artisan", "migrate", "--no-interaction", "--no-ansi", "--force"]


# parsing


@pytest.mark.parametrize("version", ["8", "10"])
def test_status_lists_every_migration_with_its_batch(version):
    assert artisan.parse_status(LARAVEL[version]["pending"]) == BEFORE
    assert artisan.parse_status(LARAVEL[version]["done"]) == AFTER


def test_status_reads_names_too_long_for_dots():
    # What Laravel 10 printed in 80 columns for a name of 88 characters.
    name = "2024_02_10_120000_add_gift_aid_declaration_and_receipt_number_columns_to_donations_table"
    output = text(f"  {name}  [12] Ran  ", f"  {name}  Pending  ")
    assert artisan.parse_status(output) == [
        {"name": name, "ran": True, "batch": 12},
        {"name": name, "ran": False, "batch": None},
    ]


@pytest.mark.parametrize("output", [text("", "   INFO  No migrations found.  ", ""), text("No migrations found")])
def test_status_without_migrations_is_an_empty_list(output):
    assert artisan.parse_status(output) == []


def test_status_in_a_format_not_known_is_none_not_an_empty_list():
    assert artisan.parse_status("Migrations: 2 applied, 1 waiting\n") is None


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_output_names_what_ran(version):
    said = artisan.parse_migrate(LARAVEL[version]["ran"])
    assert said == {"ran": [RECEIPTS, GIFT_AID], "failed": None, "nothing_to_migrate": False, "prepared": False}


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_output_says_when_nothing_ran(version):
    said = artisan.parse_migrate(LARAVEL[version]["nothing"])
    assert said == {"ran": [], "failed": None, "nothing_to_migrate": True, "prepared": False}


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_output_names_the_migration_that_failed(version):
    said = artisan.parse_migrate(LARAVEL[version]["failed"])
    assert (said["ran"], said["failed"]) == ([RECEIPTS], GIFT_AID)


@pytest.mark.parametrize("version", ["8", "10"])
def test_a_new_migration_table_is_a_change_and_not_a_migration(version):
    said = artisan.parse_migrate(LARAVEL[version]["new_database"])
    assert (said["ran"], said["prepared"]) == ([USERS, DONATIONS], True)


def test_a_loaded_schema_file_is_not_taken_for_a_migration():
    output = text(
        "",
        "   INFO  Loading stored database schemas.  ",
        "",
        "  database/schema/mysql-schema.sql ................................. 41ms DONE",
        "",
        "   INFO  Nothing to migrate.  ",
    )
    assert artisan.parse_migrate(output) == {"ran": [], "failed": None, "nothing_to_migrate": True, "prepared": True}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], []),
        (["--step", "--database", "mysql"], ["--database", "mysql"]),
        (["--database=pgsql", "--seed"], ["--database=pgsql"]),
        (
            ["--path", "database/migrations/payments", "--realpath", "--pretend"],
            ["--path", "database/migrations/payments", "--realpath"],
        ),
        (["--path=/srv/x", "--realpath", "--isolated"], ["--path=/srv/x", "--realpath"]),
    ],
)
def test_migrate_status_looks_at_the_same_migrations(arguments, expected):
    assert artisan.status_arguments(arguments) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("", "command is empty"),
        ("   ", "command is empty"),
        ("migrate --force", "command 'migrate --force' holds spaces; give the command alone ('migrate') and the rest"),
        ("--force", "command '--force' is an option"),
        ("migrate;id", "command 'migrate;id' is not an artisan command name"),
        ("$(id)", "command '$(id)' is not an artisan command name"),
    ],
)
def test_commands_that_are_no_command_names_are_refused(command, expected):
    with pytest.raises(artisan.ArtisanError) as raised:
        artisan.check_command(command)
    assert str(raised.value).startswith(expected)


def test_the_error_line_is_found_for_the_message():
    assert artisan.excerpt(MIGRATE_FAILED_10, SQL_ERROR).startswith("SQLSTATE[42S01]: Base table or view already")
    assert artisan.excerpt(TABLE_MISSING_10, "") == "ERROR  Migration table not found."
    assert artisan.excerpt("", "") == ""


# the module, with run_command replaced


class Host:
    """Stands in for a host: answers each artisan command from a script and records each run."""

    def __init__(self, **replies: list[tuple[int, str, str]]):
        self.replies = {command.replace("_", ":"): list(answers) for command, answers in replies.items()}
        self.calls: list[dict] = []

    def run_command(self, args, **kwargs):
        self.calls.append({"args": args, **kwargs})
        command = args[args.index("artisan") + 1]
        answers = self.replies.get(command)
        assert answers, f"the module ran {args}, which the test did not expect"
        return answers.pop(0)

    def commands(self) -> list[list[str]]:
        return [call["args"] for call in self.calls]


@pytest.fixture
def release(tmp_path: Path) -> Path:
    path = tmp_path / "releases" / "20261203T230000Z-abc1234"
    (path / "database" / "migrations").mkdir(parents=True)
    (path / "artisan").write_text("#!/usr/bin/env php\n<?php\n")
    for name in (USERS, DONATIONS):
        (path / "database" / "migrations" / f"{name}.php").write_text("<?php\n")
    return path


@pytest.fixture
def run_module(capsys):
    """Run library/laravel_artisan.py against ``host``; return the result Ansible would print."""

    def run(args: dict, host: Host, check: bool = False) -> dict:
        warnings: list[str] = []
        args = {**args, "_ansible_check_mode": check}
        bins = {"php": PHP, "timeout": "/usr/bin/timeout"}
        with (
            patch_module_args(args),
            mock.patch.object(AnsibleModule, "run_command", lambda _self, argv, **kw: host.run_command(argv, **kw)),
            mock.patch.object(AnsibleModule, "get_bin_path", lambda _self, name, *_a, **_kw: bins.get(name)),
            # On a controller (as in this test process) warnings go to the display, not the result.
            mock.patch.object(AnsibleModule, "warn", lambda _self, msg, **_kw: warnings.append(msg)),
            pytest.raises(SystemExit),
        ):
            module.main()
        result = json.loads(capsys.readouterr().out)
        result.pop("invocation", None)
        if warnings:
            result["warnings"] = warnings
        return result

    return run


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_with_nothing_pending_is_no_change(release, run_module, version):
    out = LARAVEL[version]
    host = Host(migrate_status=[(0, out["all_ran"], ""), (0, out["all_ran"], "")], migrate=[(0, out["nothing"], "")])
    result = run_module({"app_path": str(release), "command": "migrate", "force": True}, host)
    assert result == {
        "changed": False,
        "cmd": MIGRATE_CMD,
        "rc": 0,
        "stdout": out["nothing"],
        "stderr": "",
        "migrations": ALL_RAN,
        "migrations_pending": [],
        "migrations_ran": [],
    }
    assert host.commands() == [STATUS_CMD, MIGRATE_CMD, STATUS_CMD]
    assert all(call["cwd"] == str(release) for call in host.calls)


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_with_pending_migrations_reports_what_ran(release, run_module, version):
    out = LARAVEL[version]
    host = Host(migrate_status=[(0, out["pending"], ""), (0, out["done"], "")], migrate=[(0, out["ran"], "")])
    result = run_module({"app_path": str(release), "command": "migrate", "force": True}, host)
    assert result == {
        "changed": True,
        "cmd": MIGRATE_CMD,
        "rc": 0,
        "stdout": out["ran"],
        "stderr": "",
        "migrations": AFTER,
        "migrations_pending": [RECEIPTS, GIFT_AID],
        "migrations_ran": [RECEIPTS, GIFT_AID],
    }


@pytest.mark.parametrize("version", ["8", "10"])
def test_migrate_on_a_new_database_lists_the_migration_files(release, run_module, version):
    out = LARAVEL[version]
    host = Host(
        migrate_status=[(1, out["table_missing"], ""), (0, out["all_ran"], "")],
        migrate=[(0, out["new_database"], "")],
    )
    result = run_module({"app_path": str(release), "command": "migrate", "force": True}, host)
    assert result["changed"] is True
    assert (result["migrations_pending"], result["migrations_ran"]) == ([USERS, DONATIONS], [USERS, DONATIONS])
    assert result["warnings"] == [
        "there is no migrations table yet: migrate creates it and runs every migration; "
        "the pending ones are listed from database/migrations"
    ]


@pytest.mark.parametrize("version", ["8", "10"])
def test_check_mode_only_reads_the_status(release, run_module, version):
    host = Host(migrate_status=[(0, LARAVEL[version]["pending"], "")])
    result = run_module({"app_path": str(release), "command": "migrate", "force": True}, host, check=True)
    assert result == {
        "changed": True,
        "cmd": MIGRATE_CMD,
        "migrations": BEFORE,
        "migrations_pending": [RECEIPTS, GIFT_AID],
        "migrations_ran": [],
        "msg": f"check mode: only php artisan migrate:status ran in {release}",
    }
    assert host.commands() == [STATUS_CMD]


def test_check_mode_with_nothing_pending_is_no_change(release, run_module):
    host = Host(migrate_status=[(0, STATUS_ALL_RAN_10, "")])
    result = run_module({"app_path": str(release), "command": "migrate"}, host, check=True)
    assert (result["changed"], result["migrations_pending"]) == (False, [])


@pytest.mark.parametrize("version", ["8", "10"])
def test_a_failed_migration_fails_with_rc_output_and_what_already_ran(release, run_module, version):
    out = LARAVEL[version]
    host = Host(migrate_status=[(0, out["pending"], "")], migrate=[(1, out["failed"], SQL_ERROR)])
    result = run_module({"app_path": str(release), "command": "migrate", "force": True}, host)
    assert result == {
        "failed": True,
        "changed": True,
        "msg": f"php artisan migrate failed (rc=1) in {release}: SQLSTATE[42S01]: Base table or view already "
        "exists: 1050 Table 'gift_aid_de",
        "cmd": MIGRATE_CMD,
        "rc": 1,
        "stdout": out["failed"],
        "stderr": SQL_ERROR,
        "migrations_pending": [RECEIPTS, GIFT_AID],
        "migrations_ran": [RECEIPTS],
        "failed_migration": GIFT_AID,
    }
    assert host.commands() == [STATUS_CMD, MIGRATE_CMD]


def test_an_unreachable_database_fails_at_the_status(release, run_module):
    error = text("", "In Connector.php line 65:", "", "  SQLSTATE[HY000] [2002] Connection refused  ", "")
    host = Host(migrate_status=[(1, "", error)])
    result = run_module({"app_path": str(release), "command": "migrate"}, host, check=True)
    assert result["failed"] is True
    assert result["msg"] == (
        f"php artisan migrate:status failed (rc=1) in {release}: SQLSTATE[HY000] [2002] Connection refused"
    )
    assert (result["rc"], result["stderr"]) == (1, error)


def test_a_status_in_an_unknown_format_fails_rather_than_guess(release, run_module):
    host = Host(migrate_status=[(0, "Migrations: 2 applied, 1 waiting\n", "")])
    result = run_module({"app_path": str(release), "command": "migrate"}, host)
    assert result["failed"] is True
    assert result["msg"].startswith("could not read the output of php artisan migrate:status")


def test_when_output_and_status_disagree_the_status_is_reported(release, run_module):
    host = Host(
        migrate_status=[(0, STATUS_PENDING_10, ""), (0, STATUS_DONE_10, "")],
        migrate=[(0, "Applied 2 migrations.\n", "")],
    )
    result = run_module({"app_path": str(release), "command": "migrate"}, host)
    assert (result["changed"], result["migrations_ran"]) == (True, [RECEIPTS, GIFT_AID])
    assert result["warnings"][0].startswith("migrate printed [] as run, but migrate:status shows")


def test_migrate_pretend_only_reads(release, run_module):
    host = Host(migrate=[(0, text(f"  {RECEIPTS} ", "  ⇂ alter table `donations` add `receipt_number` ..."), "")])
    result = run_module({"app_path": str(release), "command": "migrate", "arguments": ["--pretend"]}, host, check=True)
    assert result["changed"] is False
    assert host.commands() == [[PHP, "artisan", "migrate", "--no-interaction", "--no-ansi", "--pretend"]]


def test_migrate_status_reports_the_migrations_and_runs_in_check_mode(release, run_module):
    host = Host(migrate_status=[(0, STATUS_PENDING_10, "")])
    result = run_module({"app_path": str(release), "command": "migrate:status"}, host, check=True)
    assert result == {
        "changed": False,
        "cmd": STATUS_CMD,
        "rc": 0,
        "stdout": STATUS_PENDING_10,
        "stderr": "",
        "migrations": BEFORE,
        "migrations_pending": [RECEIPTS, GIFT_AID],
    }


@pytest.mark.parametrize("missing", [TABLE_MISSING_10, TABLE_MISSING_8], ids=["laravel10", "laravel8"])
def test_migrate_status_on_a_new_database_lists_every_migration_as_pending(release, run_module, missing):
    # Before the first migrate there is no migrations table: every file of the release is pending.
    host = Host(migrate_status=[(1, missing, "")])
    result = run_module({"app_path": str(release), "command": "migrate:status"}, host, check=True)
    assert result["changed"] is False
    assert result["migrations"] == [
        {"name": USERS, "ran": False, "batch": None},
        {"name": DONATIONS, "ran": False, "batch": None},
    ]
    assert result["migrations_pending"] == [USERS, DONATIONS]
    assert "rc" not in result, "Ansible fails a task whose result has a non-zero rc"
    assert host.commands() == [STATUS_CMD]


def test_migrate_status_still_fails_when_the_database_is_out_of_reach(release, run_module):
    error = text("", "  SQLSTATE[HY000] [2002] Connection refused  ", "")
    result = run_module({"app_path": str(release), "command": "migrate:status"}, Host(migrate_status=[(1, "", error)]))
    assert result["failed"] is True
    assert "SQLSTATE[HY000] [2002] Connection refused" in result["msg"]


@pytest.mark.parametrize("command", ["about", "route:list", "queue:failed", "schedule:list", "migrate:status"])
def test_read_only_commands_run_in_check_mode_and_change_nothing(release, run_module, command):
    # migrate:status must print what it lists; the others may print anything.
    output = STATUS_DONE_10 if command == "migrate:status" else ""
    host = Host(**{command.replace(":", "_"): [(0, output, "")]})
    result = run_module({"app_path": str(release), "command": command}, host, check=True)
    assert result["changed"] is False
    assert len(host.calls) == 1


def test_a_command_declared_read_only_changes_nothing(release, run_module):
    host = Host(**{"donations:report": [(0, "42 donations\n", "")]})
    result = run_module({"app_path": str(release), "command": "donations:report", "read_only": True}, host, check=True)
    assert (result["changed"], result["stdout"]) == (False, "42 donations\n")


@pytest.mark.parametrize(
    "command",
    ["config:cache", "route:cache", "view:cache", "event:cache", "optimize", "queue:restart", "storage:link", "down"],
)
def test_writing_commands_change_when_they_succeed(release, run_module, command):
    host = Host(**{command.replace(":", "_"): [(0, "\n   INFO  Done.  \n\n", "")]})
    result = run_module({"app_path": str(release), "command": command}, host)
    assert result == {
        "changed": True,
        "cmd": [PHP, "artisan", command, "--no-interaction", "--no-ansi"],
        "rc": 0,
        "stdout": "\n   INFO  Done.  \n\n",
        "stderr": "",
    }


@pytest.mark.parametrize(
    ("command", "stdout"),
    [
        ("down", "\n   INFO  Application is already down.  \n\n"),
        ("up", "\n   INFO  Application is already up.  \n\n"),
        ("up", "Application is already up.\n"),
        ("storage:link", "\n   ERROR  The [/srv/deenify/releases/x/public/storage] link already exists.  \n\n"),
    ],
)
def test_commands_that_say_there_was_nothing_to_do_change_nothing(release, run_module, command, stdout):
    host = Host(**{command.replace(":", "_"): [(0, stdout, "")]})
    assert run_module({"app_path": str(release), "command": command}, host)["changed"] is False


def test_writing_commands_do_not_run_in_check_mode(release, run_module):
    host = Host()
    result = run_module({"app_path": str(release), "command": "config:cache"}, host, check=True)
    assert result == {
        "changed": True,
        "cmd": [PHP, "artisan", "config:cache", "--no-interaction", "--no-ansi"],
        "msg": f"check mode: php artisan config:cache would run in {release}",
    }
    assert host.calls == []


def test_check_mode_before_the_release_exists_says_it_would_run(tmp_path, run_module):
    host = Host()
    result = run_module({"app_path": str(tmp_path / "not-built"), "command": "migrate"}, host, check=True)
    assert result["changed"] is True
    assert "holds no artisan yet" in result["msg"]
    assert host.calls == []


def test_a_failing_command_fails_with_rc_stdout_and_stderr(release, run_module):
    stderr = text("", "In Filesystem.php line 190:", "", "  file_put_contents(...): Permission denied  ", "")
    host = Host(config_cache=[(1, "", stderr)])
    result = run_module({"app_path": str(release), "command": "config:cache"}, host)
    assert result == {
        "failed": True,
        "msg": f"php artisan config:cache failed (rc=1) in {release}: file_put_contents(...): Permission denied",
        "cmd": [PHP, "artisan", "config:cache", "--no-interaction", "--no-ansi"],
        "rc": 1,
        "stdout": "",
        "stderr": stderr,
    }


def test_production_without_force_says_how_to_proceed(release, run_module):
    cancelled = text(
        "",
        "   WARN  Application In Production.  ",
        "",
        " ┌ Are you sure you want to run this command? ─────────────────┐",
        " │ No                                                           │",
        " └──────────────────────────────────────────────────────────────┘",
        "",
        "   WARN  Command cancelled.  ",
    )
    host = Host(migrate_status=[(0, STATUS_PENDING_10, "")], migrate=[(1, cancelled, "")])
    result = run_module({"app_path": str(release), "command": "migrate"}, host)
    assert result["failed"] is True
    assert result["msg"].endswith(
        "Command cancelled.; the application runs in production, so the command needs force: true"
    )


def test_arguments_are_separate_words_and_force_is_added_once(release, run_module):
    host = Host(**{"db:seed": [(0, "", "")]})
    arguments = ["--class", "Database\\Seeders\\CampaignSeeder; rm -rf /", "--force"]
    run_module({"app_path": str(release), "command": "db:seed", "arguments": arguments, "force": True}, host)
    [call] = host.calls
    assert call["args"] == [PHP, "artisan", "db:seed", "--no-interaction", "--no-ansi", *arguments]
    assert not call.get("use_unsafe_shell")


def test_the_environment_reaches_the_command_and_never_the_output(release, run_module):
    host = Host(**{"queue:failed": [(1, "", "SQLSTATE[HY000] [1045] Access denied for user 'deenify'\n")]})
    args = {"app_path": str(release), "command": "queue:failed", "environment": {"DB_PASSWORD": DB_PASSWORD, "N": 2}}
    result = run_module(args, host)
    assert host.calls[0]["environ_update"] == {"DB_PASSWORD": DB_PASSWORD, "N": "2"}
    assert result["failed"] is True
    assert DB_PASSWORD not in json.dumps(result)


def test_the_environment_is_masked_in_the_invocation(release, capsys):
    host = Host(about=[(0, "", "")])
    with (
        patch_module_args({"app_path": str(release), "command": "about", "environment": {"DB_PASSWORD": DB_PASSWORD}}),
        mock.patch.object(AnsibleModule, "run_command", lambda _self, argv, **kw: host.run_command(argv, **kw)),
        mock.patch.object(AnsibleModule, "get_bin_path", lambda _self, name, *_a, **_kw: f"/usr/bin/{name}"),
        pytest.raises(SystemExit),
    ):
        module.main()
    printed = capsys.readouterr().out
    assert DB_PASSWORD not in printed
    masked = {"DB_PASSWORD": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    assert json.loads(printed)["invocation"]["module_args"]["environment"] == masked


def test_a_timeout_stops_the_command_and_says_so(release, run_module):
    host = Host(queue_restart=[(124, "", "")])
    result = run_module({"app_path": str(release), "command": "queue:restart", "timeout": 5}, host)
    assert host.calls[0]["args"][:3] == ["/usr/bin/timeout", "--kill-after=30", "5"]
    assert result["msg"] == f"php artisan queue:restart did not finish within 5 s and was stopped in {release}"
    assert result["cmd"] == [PHP, "artisan", "queue:restart", "--no-interaction", "--no-ansi"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"command": ""}, "command is empty"),
        ({"command": "migrate --force"}, "give the command alone ('migrate') and the rest as arguments (['--force'])"),
        ({"command": "migrate", "timeout": 0}, "timeout must be a number of seconds above 0, got 0"),
        ({"command": "about", "environment": {"DB PASSWORD": DB_PASSWORD}}, "environment: 'DB PASSWORD' is not"),
        ({"command": "about", "environment": {"DB_PASSWORD": [DB_PASSWORD]}}, "environment: DB_PASSWORD must be"),
        ({"command": "about", "php": "/nonexistent/php"}, "php '/nonexistent/php' is not an executable file"),
        ({"command": "about", "php": "php9"}, "'php9' is not on the PATH"),
        ({"command": "about", "commands": ["about"]}, "Unsupported parameters for"),
        ({"command": "about", "force": "maybe"}, "argument 'force' is of type"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(release, run_module, args, expected):
    host = Host()
    result = run_module({"app_path": str(release), **args}, host)
    assert result["failed"] is True
    assert expected in result["msg"]
    assert DB_PASSWORD not in json.dumps(result)
    assert host.calls == []


def test_a_directory_without_artisan_is_refused(tmp_path, run_module):
    result = run_module({"app_path": str(tmp_path), "command": "about"}, Host())
    assert result["msg"] == f"{tmp_path} holds no artisan file; give the release directory of the application"


def test_a_release_the_account_cannot_read_is_named_as_such(tmp_path, run_module, monkeypatch):
    # Root, who runs these tests, may read anything: the kernel's answer for another account is played.
    real_access = os.access

    def access(path, mode) -> bool:
        return os.fspath(path) != str(tmp_path) and real_access(path, mode)

    monkeypatch.setattr(module.os, "access", access)
    result = run_module({"app_path": str(tmp_path), "command": "about"}, Host())
    assert result["failed"] is True
    assert f"{tmp_path} cannot be read by" in result["msg"], result["msg"]
    assert "read and search permission" in result["msg"]


# the module through ansible-playbook, against a stand-in for php

FAKE_PHP = """\
#!{python}
# Plays `php artisan` of Laravel 10 for the tests: migrations pending until `migrate` runs.
import json, os, sys, time
from pathlib import Path

state = Path(os.environ["FAKE_STATE"])
ran = json.loads(state.read_text()) if state.exists() else {ran}
names = {names}
command = sys.argv[2]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "secret_seen": os.environ.get("DB_PASSWORD") == {secret!r}}}) + "\\n")
if command == "migrate:status":
    print()
    for name in names:
        status = f"[{{ran[name]}}] Ran" if name in ran else "Pending"
        print(f"  {{name}} ..... {{status}}  ")
    print()
elif command == "migrate":
    todo = [name for name in names if name not in ran]
    if not todo:
        print("\\n   INFO  Nothing to migrate.  \\n")
    else:
        print("\\n   INFO  Running migrations.  \\n")
        batch = max(ran.values(), default=0) + 1
        for name in todo:
            ran[name] = batch
            print(f"  {{name}} ........ 3ms DONE")
        state.write_text(json.dumps(ran))
elif command == "queue:work":
    time.sleep(30)
elif command == "config:cache":
    print("\\n   INFO  Configuration cached successfully.  \\n")
else:
    print("In Application.php line 1:", file=sys.stderr)
    print(f'  Command "{{command}}" is not defined.', file=sys.stderr)
    sys.exit(1)
"""


def test_the_module_runs_in_a_play(tmp_path):
    release = tmp_path / "release"
    release.mkdir()
    (release / "artisan").write_text("<?php\n")
    php = tmp_path / "php"
    php.write_text(
        FAKE_PHP.format(
            python=sys.executable, ran={USERS: 1, DONATIONS: 1}, names=[USERS, DONATIONS, RECEIPTS], secret=DB_PASSWORD
        )
    )
    php.chmod(0o755)
    log = tmp_path / "artisan.log"
    base = {"app_path": str(release), "php": str(php), "environment": {"DB_PASSWORD": "{{ db_password }}"}}
    tasks = [
        {"name": "Preview the migrations", "laravel_artisan": {**base, "command": "migrate"}, "check_mode": True},
        {"name": "Preview the configuration cache", "laravel_artisan": {**base, "command": "config:cache"}},
        {"name": "Migrate", "laravel_artisan": {**base, "command": "migrate", "force": True}},
        {"name": "Migrate again", "laravel_artisan": {**base, "command": "migrate", "force": True}},
        {"name": "List the migrations", "laravel_artisan": {**base, "command": "migrate:status"}},
        {"name": "Run a command artisan lacks", "laravel_artisan": {**base, "command": "nope"}, "ignore_errors": True},
        {
            "name": "Stop a command that runs too long",
            "laravel_artisan": {**base, "command": "queue:work", "timeout": 1},
            "ignore_errors": True,
        },
    ]
    tasks[1]["check_mode"] = True
    run, results = run_local_play(
        tmp_path,
        tasks,
        play_vars={"db_password": DB_PASSWORD},
        extra_env={"FAKE_STATE": str(tmp_path / "state.json"), "FAKE_LOG": str(log)},
    )
    assert DB_PASSWORD not in run.stdout + run.stderr, "the environment's secret reached the play's output"
    preview, cache_preview, migrate, again, status, unknown, slow = results
    assert (preview["changed"], preview["migrations_pending"]) == (True, [RECEIPTS]), preview
    assert (cache_preview["changed"], "rc" in cache_preview) == (True, False), cache_preview
    assert (migrate["changed"], migrate["migrations_ran"]) == (True, [RECEIPTS]), migrate
    assert (again["changed"], again["migrations_ran"], again["migrations_pending"]) == (False, [], []), again
    assert (status["changed"], [m["batch"] for m in status["migrations"]]) == (False, [1, 1, 2]), status
    assert unknown["failed"] is True, unknown
    assert unknown["msg"] == f'php artisan nope failed (rc=1) in {release}: Command "nope" is not defined.', unknown
    assert slow["msg"] == f"php artisan queue:work did not finish within 1 s and was stopped in {release}", slow
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["argv"][1] for entry in runs] == [
        "migrate:status",
        "migrate:status",
        "migrate",
        "migrate:status",
        "migrate:status",
        "migrate",
        "migrate:status",
        "migrate:status",
        "nope",
        "queue:work",
    ], textwrap.indent(log.read_text(), "  ")
    assert all(entry["secret_seen"] for entry in runs), "the environment did not reach artisan"
    assert os.path.exists(tmp_path / "state.json")
