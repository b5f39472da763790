"""Filters that check access settings before a role applies them.

Each filter is a pure function: it takes the inventory's values and returns what is
wrong with them, so that a role can stop with a clear message before it writes an
authorized_keys file or an sshd configuration that would lock people out.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zoneinfo

DOCUMENTATION = r"""
name: access
short_description: Checks for time zones, SSH public keys and sshd lock-out risks
description:
  - C(is_timezone) tells whether a name is a time zone of the IANA tz database.
  - C(ssh_key_errors) lists what is wrong with a list of SSH public keys (unknown type,
    body that is not base64, body whose embedded type differs from the declared one).
  - C(sshd_lockout_reasons) lists why an sshd configuration would lock out the SSH session
    that a play runs over; an empty list means the session survives.
author: deenify-ops
"""

EXAMPLES = r"""
- name: Refuse an unknown time zone
  ansible.builtin.assert:
    that: common_timezone | is_timezone
    fail_msg: "common_timezone: '{{ common_timezone }}' is not a known time zone"

- name: Refuse malformed keys
  ansible.builtin.assert:
    that: item.ssh_keys | ssh_key_errors | length == 0
    fail_msg: "{{ item.ssh_keys | ssh_key_errors }}"
  loop: "{{ common_admin_users }}"

- name: Refuse a configuration that locks out this session
  ansible.builtin.assert:
    that: __reasons | length == 0
    fail_msg: "{{ __reasons | join('; ') }}"
  vars:
    __reasons: "{{ session | sshd_lockout_reasons(users, allow_groups) }}"
"""

RETURN = r"""
is_timezone:
  description: True when the name is a time zone known to the controller's tz database.
  type: bool
ssh_key_errors:
  description: One message per bad key, naming the key by its position and its comment.
  type: list
  elements: str
sshd_lockout_reasons:
  description: Why the session would be locked out; empty when it would not.
  type: list
  elements: str
"""

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - only when Ansible is absent, as in a bare linter run

    class AnsibleFilterError(Exception):  # type: ignore[no-redef]
        """Stand-in so the pure functions stay importable without Ansible."""


SSH_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_KEY_LINE = re.compile(
    r"^(?:(?P<options>\S.*?)\s+)??(?P<type>[a-z0-9@.-]+)\s+(?P<body>[A-Za-z0-9+/=]+)(?:\s+(?P<comment>.*))?$"
)


def is_timezone(name: object) -> bool:
    """Return True when ``name`` is a time zone of the IANA tz database."""
    if not isinstance(name, str):
        raise AnsibleFilterError(
            f"is_timezone expects a time zone name as a string, got {type(name).__name__}: {name!r}"
        )
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _key_error(index: int, line: str) -> str | None:
    label = f"key {index + 1}"
    match = _KEY_LINE.match(line.strip())
    if not match:
        return f"{label} is not an SSH public key line ('<type> <base64> [comment]'): {line[:40]!r}"
    key_type, body, comment = match["type"], match["body"], match["comment"] or ""
    if comment:
        label += f" ({comment[:40]})"
    if key_type not in SSH_KEY_TYPES:
        return f"{label} has the unknown type {key_type!r}; expected one of {', '.join(sorted(SSH_KEY_TYPES))}"
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return f"{label} has a body that is not valid base64 (truncated when copied?)"
    if len(blob) < 4:
        return f"{label} has a body too short to be a key"
    (length,) = struct.unpack(">I", blob[:4])
    embedded = blob[4 : 4 + length]
    if embedded != key_type.encode():
        return f"{label} says {key_type!r} but its body holds a {embedded[:40].decode(errors='replace')!r} key"
    return None


def ssh_key_errors(keys: object) -> list[str]:
    """Return one message per malformed key in ``keys`` (a list of public key lines)."""
    if isinstance(keys, str) or not isinstance(keys, list | tuple):
        raise AnsibleFilterError(f"ssh_key_errors expects a list of public key lines, got {type(keys).__name__}")
    errors = []
    for index, line in enumerate(keys):
        if not isinstance(line, str):
            errors.append(f"key {index + 1} is a {type(line).__name__}, not a public key line")
            continue
        error = _key_error(index, line)
        if error:
            errors.append(error)
    return errors


def sshd_lockout_reasons(
    session: object,
    users: object,
    allow_groups: object,
) -> list[str]:
    """Return why the planned sshd settings would refuse the SSH session the play runs over.

    ``session`` describes the current connection: ``{"ssh": bool, "user": str,
    "key": str}`` where ``key`` is the public key sshd says was used (empty when the
    server does not expose it yet). ``users`` are the accounts the play manages, each
    ``{"name", "ssh_keys", "groups", "state"}``. Root logins are always refused by the
    planned settings.
    """
    if not isinstance(session, dict):
        raise AnsibleFilterError(f"sshd_lockout_reasons expects the session as a dict, got {type(session).__name__}")
    if not isinstance(users, list):
        raise AnsibleFilterError(f"sshd_lockout_reasons expects users as a list, got {type(users).__name__}")
    if not isinstance(allow_groups, list):
        raise AnsibleFilterError(
            f"sshd_lockout_reasons expects allow_groups as a list, got {type(allow_groups).__name__}"
        )
    if not session.get("ssh"):
        return []
    login = session.get("user") or ""
    if not login:
        return ["the play runs over SSH but the login user could not be determined"]
    if login == "root":
        return [
            "this play logs in as root, and the new sshd settings refuse root logins. "
            "A full run of the role creates the accounts of common_admin_users before this step: "
            "log in as one of them (ansible_user) and run again"
        ]
    by_name = {u.get("name"): u for u in users if isinstance(u, dict)}
    user = by_name.get(login)
    if user is None or user.get("state", "present") != "present":
        return [
            f"this play logs in as {login!r}, an account the play does not manage with an SSH key: "
            f"after the change sshd would refuse it; add it to common_admin_users first"
        ]
    reasons = []
    if not set(user.get("groups", [])) & set(allow_groups):
        reasons.append(f"{login!r} would not be in any of the groups sshd allows ({', '.join(allow_groups)})")
    used = " ".join(str(session.get("key") or "").split()[:2])
    planned = {" ".join(str(k).split()[:2]) for k in user.get("ssh_keys", [])}
    if used and used not in planned:
        reasons.append(
            f"the key this session logged in with is not among {login!r}'s keys in the inventory, "
            "and the play replaces authorized_keys: add it there first"
        )
    return reasons


class FilterModule:
    """Access-checking filters of deenify-ops."""

    def filters(self) -> dict:
        return {
            "is_timezone": is_timezone,
            "ssh_key_errors": ssh_key_errors,
            "sshd_lockout_reasons": sshd_lockout_reasons,
        }
