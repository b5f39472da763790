#!/usr/bin/python
"""One deploy at a time per environment: take, inspect and release the deploy lock."""

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take, inspect and release the deploy lock of an environment
description:
  - The lock is a JSON file on one designated host per environment, holding C(token) (a random
    uuid4 hex), C(holder) (who deploys), C(acquired) (epoch seconds by this host's clock),
    C(acquired_iso) and C(ttl).
  - Every change happens under an exclusive C(flock) on the sibling file C(<path>.guard), so two
    deploys racing on the same host cannot both win; the lock file is replaced in one rename.
  - A second deploy is refused with a message that names the holder and the unlock command.
author: deenify-ops
version_added: "0.1.0"
options:
  path:
    description:
      - The lock file, such as C(/srv/deenify/deploy.lock).
      - With O(state=present), its directory is created (mode C(0755)) when only that directory is missing,
        since on a new host the lock is taken before the app role lays out the application root.
    type: path
    required: true
  state:
    description:
      - C(query) reports the lock; it changes nothing. It is the default so that a bare ad hoc call
        never takes the lock by accident.
      - C(present) takes the lock for O(holder). An expired lock, or one whose token is O(take_over),
        is taken over with a warning. A lock of the same run (same C(controller), C(pid) and C(started))
        is kept unchanged. Any other lock makes the task fail, naming its holder.
      - C(absent) removes the lock when it carries O(token), or whatever lock is there with O(force=true).
    type: str
    choices: [query, present, absent]
    default: query
  holder:
    description:
      - Who takes the lock, usually C(lookup('deploy_controller')) combined with the release and playbook.
      - The keys C(user), C(controller), C(pid), C(started), C(release) and C(playbook) (strings or
        integers) are read; others are stored as given.
      - Required with O(state=present).
    type: dict
  ttl:
    description:
      - Seconds after which the lock counts as abandoned and the next deploy takes it over. Make it
        longer than the slowest deploy.
    type: int
    default: 3600
  take_over:
    description:
      - With O(state=present), the token of a lock the caller judged abandoned (its holder's process is
        gone). The lock is taken over only while it still carries this token.
    type: str
  token:
    description: With O(state=absent), the token this run got with O(state=present); only that lock is removed.
    type: str
  force:
    description: With O(state=absent), remove whatever lock is there (the unlock playbook), with a warning naming it.
    type: bool
    default: false
  inventory:
    description: The inventory to name in the unlock command of the refusal message, such as C(inventories/production).
    type: str
attributes:
  check_mode:
    support: full
    description: Reads the lock and reports whether it would be taken or removed; writes nothing.
  diff_mode:
    support: none
notes:
  - The clock that decides expiry is the lock host's, for writing and for judging, so controllers' clocks do not matter.
  - In check mode O(state=present) returns the lock it would write, with a token that is never stored.
"""

EXAMPLES = r"""
- name: Take the deploy lock
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: present
    holder: "{{ lookup('deploy_controller') | combine({'release': __app_release_id}) }}"
    inventory: "{{ inventory_dir }}"
    ttl: 3600
  register: __app_lock

- name: Take over a lock whose holder is gone
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: present
    holder: "{{ __app_holder }}"
    take_over: "{{ __app_lock_seen.lock.token }}"
  when: lookup('deploy_controller', 'alive', holder=__app_lock_seen.lock.holder) is false

- name: Release the deploy lock
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: absent
    token: "{{ __app_lock.lock.token }}"

- name: Remove whatever lock is there (playbooks/unlock.yml)
  deploy_lock:
    path: /srv/deenify/deploy.lock
    state: absent
    force: true
"""

RETURN = r"""
lock:
  description:
    - The lock as it is after the task (query, present), or the one that was there (absent, and on refusal).
      Null when there is none.
  returned: always
  type: dict
  sample:
    token: 3f0c2b8e9d6a4c1e8b7f5a2d0c9e8f71
    holder: {user: amina, controller: ops-laptop, pid: 41822, started: "8812345", release: 20250101T120000Z-0123abc,
             playbook: playbooks/deploy.yml}
    acquired: 1735732800
    acquired_iso: "2025-01-01T12:00:00Z"
    ttl: 3600
expired:
  description: Whether the lock's C(acquired) plus C(ttl) lies in the past.
  returned: state is query or present
  type: bool
age:
  description: Seconds since the lock was acquired, or null without a lock.
  returned: state is query
  type: int
error:
  description: Why the lock file cannot be used (not JSON, no token); the lock then counts as held.
  returned: state is query and the lock file is unreadable
  type: str
acquired:
  description: True when this task took (or in check mode would take) the lock; false when the run held it already.
  returned: state is present
  type: bool
taken_over_from:
  description: The holder of the expired or abandoned lock that this task took over.
  returned: state is present and a lock was taken over
  type: dict
removed:
  description: True when the lock was (or in check mode would be) removed.
  returned: state is absent
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.deploy_lock import LockError, acquire, query, release

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "default": "query", "choices": ["query", "present", "absent"]},
    "holder": {"type": "dict"},
    "ttl": {"type": "int", "default": 3600},
    "take_over": {"type": "str"},
    "token": {"type": "str", "no_log": False},
    "force": {"type": "bool", "default": False},
    "inventory": {"type": "str"},
}

REQUIRED_IF = [("state", "present", ["holder"])]


def run(params: dict, check_mode: bool) -> dict:
    """The result of the requested state; LockError when it is refused."""
    path, state = params["path"], params["state"]
    if state == "present":
        return acquire(path, params["holder"], params["ttl"], params["take_over"], params["inventory"], check_mode)
    if state == "absent":
        return release(path, params["token"], params["force"], check_mode)
    return query(path)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except LockError as exc:
        module.fail_json(msg=str(exc), path=module.params["path"], lock=exc.lock)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
