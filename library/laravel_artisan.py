#!/usr/bin/python
"""Run one `php artisan` command in a release of a Laravel application and report what it changed."""

from __future__ import annotations

DOCUMENTATION = r"""
module: laravel_artisan
short_description: Run a php artisan command and report truthfully whether it changed anything
description:
  - Runs C(php artisan <command> <arguments>) in O(app_path), as a list of words and never through a
    shell, with C(--no-interaction) (a prompt fails instead of hanging the play) and C(--no-ansi).
  - C(migrate) reads C(migrate:status) before and after it runs, and reports a change only when
    migrations ran (or the migration table was created, a schema dump loaded, or O(arguments) hold
    C(--seed)). What C(migrate) prints is read too, in the formats of Laravel 8 (C(Migrated:) lines) and
    Laravel 10 and later (C(INFO  Running migrations.), C(...... DONE) lines, C(INFO  Nothing to migrate.));
    a warning says when it and the status disagree. C(migrate --pretend) only reads.
  - Read-only commands (C(migrate:status), C(about), C(route:list), C(queue:failed), C(schedule:list),
    C(config:show), C(db:show), C(env), C(event:list), C(help), C(list), C(model:show), and any command
    given with O(read_only=true)) never report a change and also run in check mode.
  - Every other command (C(config:cache), C(route:cache), C(view:cache), C(event:cache), C(optimize),
    C(queue:restart), C(storage:link), C(down), C(up), ...) reports a change whenever it succeeds, since
    it does its work each time it runs, so the caller decides when to run it (once per new release,
    in a handler). The exceptions are C(down) and C(up) when Laravel says the application is already
    down or up, and C(storage:link) when the link already exists; those report no change.
  - In check mode, C(migrate) runs only C(migrate:status) and reports a change when migrations are
    pending, listing them; other writing commands do not run and report that they would change.
  - A failure returns the command, the release, the exit code, stdout and stderr; the values of
    O(environment) never appear in the message.
author: deenify-ops
version_added: "0.1.0"
options:
  app_path:
    description: The release directory, which holds C(artisan).
    type: path
    required: true
  command:
    description:
      - The artisan command alone, such as C(migrate), C(config:cache) or C(queue:restart).
      - Options and their values go in O(arguments); a command holding spaces is refused.
    type: str
    required: true
  arguments:
    description:
      - Further words for the command, each one argument, such as C([--step]) or C([--database, mysql]).
      - For C(migrate), C(--database), C(--path) and C(--realpath) are passed to C(migrate:status) too.
    type: list
    elements: str
    default: []
  force:
    description:
      - Add C(--force), which commands such as C(migrate) and C(db:seed) need to run when C(APP_ENV)
        is C(production). Artisan refuses it for commands that have no such option.
    type: bool
    default: false
  read_only:
    description: Treat the command as one that changes nothing (it then runs in check mode, with changed false).
    type: bool
    default: false
  php:
    description: The PHP interpreter, a name looked up on the PATH or an absolute path such as C(/usr/bin/php8.4).
    type: str
    default: php
  environment:
    description:
      - Extra environment variables for the command; they may carry secrets and are never shown.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds after which the command is stopped (SIGTERM, SIGKILL 30 seconds later), through
        coreutils C(timeout). No limit when not set.
      - A migration stopped halfway may leave the schema half changed; give C(migrate) a generous limit.
    type: int
attributes:
  check_mode:
    support: full
    description: Read-only commands and C(migrate:status) run; nothing that writes does.
  diff_mode:
    support: none
notes:
  - C(migrate) reports the truth only when its migrations table can be read; before the first
    migration there is none, and the pending migrations are listed from C(database/migrations).
"""

EXAMPLES = r"""
- name: Migrate the database of the candidate release
  laravel_artisan:
    app_path: "{{ __release_path }}"
    command: migrate
    force: true
    timeout: 1800
  register: __migrate

- name: Cache the configuration of the new release
  laravel_artisan:
    app_path: "{{ __release_path }}"
    command: config:cache
  when: __release_is_new

- name: List the migrations
  laravel_artisan:
    app_path: /srv/deenify/current
    command: migrate:status

- name: Show the failed jobs
  laravel_artisan:
    app_path: /srv/deenify/current
    command: queue:failed
    environment:
      DB_PASSWORD: "{{ vault_db_password }}"
"""

RETURN = r"""
changed:
  description: Whether the command changed something; see the description for each kind of command.
  returned: always
  type: bool
cmd:
  description: The words run (of C(migrate) itself for O(command=migrate)).
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/php, artisan, migrate, --no-interaction, --no-ansi, --force]
rc:
  description: Exit code of the command.
  returned: when the command ran
  type: int
stdout:
  description: What the command printed.
  returned: when the command ran
  type: str
stderr:
  description: What the command printed on its error output.
  returned: when the command ran
  type: str
msg:
  description: In check mode, what was not run.
  returned: when a writing command was skipped in check mode
  type: str
migrations:
  description:
    - Every migration with C(name), C(ran) (bool) and C(batch) (null when pending), after C(migrate) ran
      (before it in check mode).
  returned: O(command) is C(migrate) or C(migrate:status)
  type: list
  elements: dict
  sample: [{name: 2024_01_01_000000_create_donations_table, ran: true, batch: 1}]
migrations_pending:
  description: Names of the migrations that were pending before the command.
  returned: O(command) is C(migrate) or C(migrate:status)
  type: list
  elements: str
migrations_ran:
  description: Names of the migrations that this run applied.
  returned: O(command) is C(migrate)
  type: list
  elements: str
failed_migration:
  description: The migration that failed, when C(migrate) failed in one.
  returned: when C(migrate) failed
  type: str
"""

import getpass
import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.laravel_artisan import (
    TABLE_MISSING,
    ArtisanError,
    check_command,
    check_environment,
    excerpt,
    kind,
    newly_ran,
    parse_migrate,
    parse_status,
    pending,
    status_arguments,
    write_changed,
)

ARGUMENT_SPEC = {
    "app_path": {"type": "path", "required": True},
    "command": {"type": "str", "required": True},
    "arguments": {"type": "list", "elements": "str", "default": []},
    "force": {"type": "bool", "default": False},
    "read_only": {"type": "bool", "default": False},
    "php": {"type": "str", "default": "php"},
    "environment": {"type": "dict", "default": {}, "no_log": True},
    "timeout": {"type": "int"},
}
TIMED_OUT = (124, 137)


class CommandError(Exception):
    """A command that failed: the fields of fail_json."""

    def __init__(self, msg: str, **result):
        super().__init__(msg)
        self.result = dict(result, msg=msg)


class Artisan:
    """Runs artisan commands of one release, the same way each time."""

    def __init__(self, module: AnsibleModule):
        params = module.params
        self.module = module
        self.app_path = params["app_path"]
        self.built = os.path.isfile(os.path.join(self.app_path, "artisan"))
        self.environment = check_environment(params["environment"] or {})
        self.prefix = self._timeout_prefix(params["timeout"])
        self.php = self._php(params["php"])
        self.timeout = params["timeout"]

    def _php(self, php: str) -> str:
        if "/" in php:
            if not os.access(php, os.X_OK):
                raise ArtisanError(f"php {php!r} is not an executable file")
            return php
        found = self.module.get_bin_path(php)
        if not found:
            raise ArtisanError(f"{php!r} is not on the PATH; install php-cli or give php as an absolute path")
        return found

    def _timeout_prefix(self, timeout: int | None) -> list[str]:
        if timeout is None:
            return []
        if timeout <= 0:
            raise ArtisanError(f"timeout must be a number of seconds above 0, got {timeout}")
        found = self.module.get_bin_path("timeout")
        if not found:
            raise ArtisanError("timeout is set but coreutils' timeout command is not on the PATH")
        return [found, "--kill-after=30", str(timeout)]

    def argv(self, command: str, arguments: list[str], force: bool = False) -> list[str]:
        # Options go before the arguments, so that an argument list ending in `--` stays intact.
        words = [self.php, "artisan", command, "--no-interaction", "--no-ansi"]
        if force and "--force" not in arguments:
            words.append("--force")
        return words + list(arguments)

    def run(self, command: str, arguments: list[str], force: bool = False) -> dict:
        words = self.argv(command, arguments, force)
        rc, stdout, stderr = self.module.run_command(
            self.prefix + words, cwd=self.app_path, environ_update=self.environment
        )
        return {"cmd": words, "rc": rc, "stdout": stdout, "stderr": stderr}

    def failure(self, command: str, ran: dict, **extra) -> CommandError:
        if self.prefix and ran["rc"] in TIMED_OUT:
            why = f"did not finish within {self.timeout} s and was stopped"
        else:
            why = f"failed (rc={ran['rc']})"
        msg = f"php artisan {command} {why} in {self.app_path}"
        detail = excerpt(ran["stdout"], ran["stderr"])
        if detail:
            msg += f": {detail}"
        if "Command cancelled" in ran["stdout"] + ran["stderr"]:
            msg += "; the application runs in production, so the command needs force: true"
        return CommandError(msg, **ran, **extra)

    def status(self, arguments: list[str]) -> tuple[list[dict] | None, dict]:
        """The migrations and the run; None when there is no migrations table yet."""
        ran = self.run("migrate:status", status_arguments(arguments))
        if ran["rc"] != 0:
            if TABLE_MISSING in ran["stdout"] + ran["stderr"]:
                return None, ran
            raise self.failure("migrate:status", ran)
        migrations = parse_status(ran["stdout"])
        if migrations is None:
            raise CommandError(
                f"could not read the output of php artisan migrate:status in {self.app_path}: it is neither "
                "Laravel 8's table nor the list of Laravel 10 and later",
                **ran,
            )
        return migrations, ran

    def migration_files(self) -> list[str]:
        files = glob.glob(os.path.join(self.app_path, "database", "migrations", "*.php"))
        return sorted(os.path.basename(path)[: -len(".php")] for path in files)


def run_read(artisan: Artisan, command: str, arguments: list[str], force: bool) -> dict:
    if command == "migrate:status":
        migrations, ran = artisan.status(arguments)
        if migrations is None:
            # A new database: nothing has run, every migration of the release is pending. The
            # exit code of the status command is left out, or Ansible would call the task failed.
            migrations = [{"name": name, "ran": False, "batch": None} for name in artisan.migration_files()]
            ran = {key: value for key, value in ran.items() if key != "rc"}
        return dict(ran, changed=False, migrations=migrations, migrations_pending=pending(migrations))
    ran = artisan.run(command, arguments, force)
    if ran["rc"] != 0:
        raise artisan.failure(command, ran)
    return dict(ran, changed=False)


def run_write(artisan: Artisan, command: str, arguments: list[str], force: bool, check_mode: bool) -> dict:
    if check_mode:
        words = artisan.argv(command, arguments, force)
        return {
            "changed": True,
            "cmd": words,
            "msg": f"check mode: php artisan {command} would run in {artisan.app_path}",
        }
    ran = artisan.run(command, arguments, force)
    if ran["rc"] != 0:
        raise artisan.failure(command, ran)
    return dict(ran, changed=write_changed(command, ran["stdout"] + ran["stderr"]))


def run_migrate(artisan: Artisan, arguments: list[str], force: bool, check_mode: bool) -> dict:
    module = artisan.module
    before, _ = artisan.status(arguments)
    if before is None:
        module.warn(
            "there is no migrations table yet: migrate creates it and runs every migration; "
            "the pending ones are listed from database/migrations"
        )
        was_pending = artisan.migration_files()
    else:
        was_pending = pending(before)
    seeds = "--seed" in arguments
    if check_mode:
        return {
            "changed": before is None or bool(was_pending) or seeds,
            "cmd": artisan.argv("migrate", arguments, force),
            "migrations": before or [],
            "migrations_pending": was_pending,
            "migrations_ran": [],
            "msg": f"check mode: only php artisan migrate:status ran in {artisan.app_path}",
        }

    ran = artisan.run("migrate", arguments, force)
    said = parse_migrate(ran["stdout"])
    if ran["rc"] != 0:
        raise artisan.failure(
            "migrate",
            ran,
            changed=bool(said["ran"]) or said["prepared"],
            migrations_pending=was_pending,
            migrations_ran=said["ran"],
            failed_migration=said["failed"],
        )
    try:
        after, _ = artisan.status(arguments)
    except CommandError as failure:
        module.warn(f"migrate succeeded but the check after it did not: {failure}")
        after = None
    if after is None:
        migrations, migrations_ran = [], said["ran"]
    else:
        migrations, migrations_ran = after, newly_ran(before, after)
        if set(migrations_ran) != set(said["ran"]) and not said["prepared"]:
            module.warn(
                f"migrate printed {said['ran']} as run, but migrate:status shows {migrations_ran} as new; "
                "the status is reported"
            )
    changed = bool(migrations_ran or said["ran"]) or said["prepared"] or seeds
    return dict(
        ran,
        changed=changed,
        migrations=migrations,
        migrations_pending=was_pending,
        migrations_ran=migrations_ran,
    )


def run(module: AnsibleModule) -> dict:
    params = module.params
    command = check_command(params["command"])
    arguments = params["arguments"] or []
    artisan = Artisan(module)
    how = kind(command, arguments, params["read_only"])
    if not artisan.built:
        if module.check_mode and how != "read":
            # A --check run of a deploy reaches here before the release it would build exists.
            return {
                "changed": True,
                "cmd": artisan.argv(command, arguments, params["force"]),
                "msg": f"check mode: {artisan.app_path} holds no artisan yet; php artisan {command} would run there",
            }
        if os.path.isdir(artisan.app_path) and not os.access(artisan.app_path, os.R_OK | os.X_OK):
            raise ArtisanError(
                f"{artisan.app_path} cannot be read by {getpass.getuser()}, who runs artisan: give that account "
                "read and search permission on the release (and its parents)"
            )
        raise ArtisanError(f"{artisan.app_path} holds no artisan file; give the release directory of the application")
    if how == "migrate":
        return run_migrate(artisan, arguments, params["force"], module.check_mode)
    if how == "read":
        return run_read(artisan, command, arguments, params["force"])
    return run_write(artisan, command, arguments, params["force"], module.check_mode)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module)
    except ArtisanError as error:
        module.fail_json(msg=str(error), app_path=module.params["app_path"], command=module.params["command"])
    except CommandError as failure:
        module.fail_json(**failure.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
