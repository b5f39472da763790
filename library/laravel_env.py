#!/usr/bin/python
"""Set, keep and remove the keys of a Laravel .env file, quoted so that Laravel reads them back exactly."""

from __future__ import annotations

DOCUMENTATION = r"""
module: laravel_env
short_description: Manage the keys of a Laravel .env file without touching the rest of it
description:
  - Sets the keys in O(values) and O(secrets) and removes those in O(absent). Every comment, blank
    line and key the task does not name stays where it is, byte for byte.
  - A key is rewritten where it first appears, and only when Laravel would read a different value
    from it; the file is read the way Laravel's reader (vlucas/phpdotenv v5) reads it, so C(local),
    C("local") and C('local') are the same value and not a change. Later lines of the same key are
    removed with a warning (phpdotenv would let the last one win). New keys go at the end.
  - Values are written literally. A value made only of letters, digits and C(_.,:/@+-) stays unquoted;
    any other value is put in single quotes, in which phpdotenv expands nothing; a value holding
    a single quote (or a C(=") that phpdotenv would take for the start of a multi-line value) goes
    in double quotes, with C(\), C(") and C($) escaped. A key whose current line would make
    phpdotenv expand C(${NAME}) is a change, since the module writes literal values only.
  - A line phpdotenv cannot read (C(APP_NAME=My App), an unknown escape, a missing quote) is kept as
    it is, with a warning naming its line number and key; phpdotenv refuses the whole file then,
    so Laravel will not boot until it is fixed. When the line holds a key the task sets, the line
    is replaced by a correct one. A C(=") that is never closed would make phpdotenv ignore every
    later line; the module reads on after it, and warns.
  - >-
    Secrets never appear in the output. The diff shows the values of O(secrets), and of keys not in
    O(values) whose name looks secret (PASSWORD, SECRET, KEY, TOKEN, SALT, AUTH, DSN, ...) or whose
    value is a URL with a password, as C(<hidden>), in the old and the new text; a secret that
    changes reads C(KEY=<hidden: changed>). Lines phpdotenv cannot read are hidden too. Comments
    are shown as they are.
  - The new text goes to a temporary file in the same directory and replaces the old one with one
    rename. A new file is created with O(owner), O(group) and O(mode) (C(0600) when no mode is
    given) before any value is written into it. When O(path) is a symlink (a release's C(.env)
    pointing into C(shared/)), the file it points to is written and the link stays.
  - Laravel's C(env) helper then turns C(true), C(false), C(null) and C(empty) (in any case, also in
    parentheses) into a boolean, null or C(""), and removes one pair of matching quotes around a
    value. That is the application's reading of the value, after phpdotenv's, and the same
    whichever quotes this module writes.
author: deenify-ops
version_added: "0.1.0"
options:
  path:
    description: The .env file, such as C(/srv/deenify/shared/.env).
    type: path
    required: true
  values:
    description:
      - Keys to set, with values that may be shown in diffs (C(APP_ENV), C(APP_URL), C(DB_HOST)).
      - A value is a string, a number or a boolean (written C(true)/C(false)); C("") writes an empty
        value. Null, lists and dicts are refused, and so are newlines, carriage returns and NUL
        characters in a value, with a message naming the key.
      - A key is letters, digits and C(_), not starting with a digit.
    type: dict
    default: {}
  secrets:
    description:
      - Keys to set whose values must never be shown (C(APP_KEY), C(DB_PASSWORD)). Same rules as
        O(values); a key may not be in both.
    type: dict
    default: {}
  absent:
    description: Keys to remove, every line of them.
    type: list
    elements: str
    default: []
  create:
    description: Create the file when it does not exist. When false, a missing file is an error.
    type: bool
    default: true
  backup:
    description: Keep a copy of the old file, with a time stamp in its name, when the text changes.
    type: bool
    default: false
extends_documentation_fragment:
  - files
attributes:
  check_mode:
    support: full
    description: Reads the file and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: The old and new text with secret values masked, and any owner, group or mode change.
notes:
  - Keep a key that must expand C(${OTHER}) (such as C(MAIL_FROM_NAME="${APP_NAME}")) out of the task;
    its line is then left as it is.
seealso:
  - name: phpdotenv
    description: The reader Laravel uses, whose rules the module follows.
    link: https://github.com/vlucas/phpdotenv
"""

EXAMPLES = r"""
- name: Write the application's settings
  laravel_env:
    path: /srv/deenify/shared/.env
    owner: deploy
    group: www-data
    mode: "0640"
    values:
      APP_ENV: production
      APP_DEBUG: false
      APP_URL: https://donate.example
      APP_NAME: Deenify Donations
      DB_PORT: 3306
    secrets:
      APP_KEY: "{{ vault_app_key }}"
      DB_PASSWORD: "{{ vault_db_password }}"
    absent:
      - DEBUGBAR_ENABLED

- name: Check what a rotation of the Redis password would change
  laravel_env:
    path: /srv/deenify/shared/.env
    secrets:
      REDIS_PASSWORD: "{{ vault_redis_password }}"
  check_mode: true
  diff: true
  register: __env_rotation
"""

RETURN = r"""
keys_changed:
  description:
    - Keys already in the file whose line was rewritten (new value, unreadable line, or repeated lines removed).
  returned: always
  type: list
  elements: str
  sample: [APP_URL, DB_PASSWORD]
keys_added:
  description: Keys the file did not have, appended at its end.
  returned: always
  type: list
  elements: str
  sample: [QUEUE_CONNECTION]
keys_removed:
  description: Keys of O(absent) that were in the file.
  returned: always
  type: list
  elements: str
  sample: [DEBUGBAR_ENABLED]
path:
  description: The file written, the target when O(path) is a symlink.
  returned: always
  type: str
  sample: /srv/deenify/shared/.env
backup_file:
  description: The copy of the old file.
  returned: when O(backup) is true and the text changed
  type: str
  sample: /srv/deenify/shared/.env.2841.2026-12-03@23:07:11~
diff:
  description: In diff mode, the old and new text (secrets masked), and a second entry with attribute changes if any.
  returned: diff mode
  type: list
  elements: dict
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.laravel_env import EnvError, plan

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "values": {"type": "dict", "default": {}},
    "secrets": {"type": "dict", "default": {}, "no_log": True},
    "absent": {"type": "list", "elements": "str", "default": []},
    "create": {"type": "bool", "default": True},
    "backup": {"type": "bool", "default": False},
}


def read(path: str) -> str | None:
    """The file's text, None when it does not exist; EnvError for what cannot be a .env file."""
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        raise EnvError(f"{path} is a directory, not a .env file")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvError(f"{path} is not UTF-8 text (byte {error.start}); Laravel would read it mangled") from None


def create_empty(module: AnsibleModule, path: str, file_args: dict) -> None:
    """Make the new file with its final owner and mode while it is still empty.

    atomic_move gives a file it creates the umask's mode (often 0644) after the rename; secrets
    must never sit in a file others can read, so the content only moves onto a file that has
    the right attributes already.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    module.set_fs_attributes_if_different(dict(file_args, path=path), False)


def write(module: AnsibleModule, path: str, content: str) -> None:
    directory, name = os.path.split(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        module.atomic_move(temporary, path, unsafe_writes=module.params["unsafe_writes"])
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def run(module: AnsibleModule) -> dict:
    params = module.params
    path = params["path"]
    # A release's .env is a link into shared/: write the shared file and keep the link.
    if os.path.islink(path):
        path = os.path.realpath(path)
    if not os.path.isdir(os.path.dirname(path) or "."):
        if module.check_mode and params["create"]:
            # --check on a new host: the directory a real run makes first is not there yet.
            change = plan(None, params["values"] or {}, params["secrets"] or {}, params["absent"] or [])
            return {
                "changed": True,
                "path": path,
                "keys_changed": [],
                "keys_added": change.keys_added,
                "keys_removed": [],
            }
        raise EnvError(f"the directory of {path} does not exist")
    old = read(path)
    if old is None and not params["create"]:
        raise EnvError(f"{path} does not exist and create is false")
    change = plan(old, params["values"] or {}, params["secrets"] or {}, params["absent"] or [])
    for warning in change.warnings:
        module.warn(f"{path}: {warning}")

    changed = change.content != old
    result = {
        "path": path,
        "keys_changed": change.keys_changed,
        "keys_added": change.keys_added,
        "keys_removed": change.keys_removed,
    }
    file_args = module.load_file_common_arguments(params, path=path)
    if old is None and file_args.get("mode") is None:
        file_args["mode"] = "0600"
    if changed and not module.check_mode:
        if old is None:
            create_empty(module, path, file_args)
        elif params["backup"]:
            result["backup_file"] = module.backup_local(path)
        write(module, path, change.content)
    attributes = {"before": {"path": path}, "after": {"path": path}}
    changed = module.set_fs_attributes_if_different(file_args, changed, diff=attributes)
    result["changed"] = changed
    if module._diff:
        text = {
            "before_header": path if old is not None else f"{path} (absent)",
            "after_header": path,
            "before": change.before_shown,
            "after": change.after_shown,
        }
        result["diff"] = [text] + ([attributes] if len(attributes["after"]) > 1 else [])
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, add_file_common_args=True, supports_check_mode=True)
    try:
        result = run(module)
    except EnvError as error:
        module.fail_json(msg=str(error), path=module.params["path"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
