"""Password hashes of MariaDB accounts, for rotating a password without a refused login.

MariaDB stores a mysql_native_password password as ``*`` and the upper-case hex of
SHA1(SHA1(password)). Knowing that hash is enough to log in with the native protocol, so
the role computes it on the controller (the password never reaches a statement) and
keeps it out of every output.
"""

from __future__ import annotations

import hashlib
import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: database_passwords
short_description: MariaDB password hashes - compute one, read an account's from SHOW CREATE USER
description:
  - C(mariadb_native_hash) returns the mysql_native_password hash of a password, as
    MariaDB's PASSWORD() does - C(*) and 40 upper-case hex digits.
  - C(mariadb_account_hashes) returns the mysql_native_password hashes a C(SHOW CREATE USER)
    statement names, in its order (C(IDENTIFIED BY PASSWORD '...') or each
    C(mysql_native_password USING '...') of C(IDENTIFIED VIA ... OR ...)); other plugins'
    authentications are not counted.
  - Both refuse what is not a string, naming what they got; C(mariadb_native_hash) also refuses
    an empty password.
author: deenify-ops
"""

EXAMPLES = r"""
# '*6FE2B845E049CDA9EFED8CFAF265CD29622FD852'
hash: "{{ 'new' | mariadb_native_hash }}"
# ['*6FE2...', '*CD02...']
hashes: "{{ show_create_user_statement | mariadb_account_hashes }}"
"""

RETURN = r"""
_value:
  description: A hash (mariadb_native_hash) or a list of hashes (mariadb_account_hashes).
  type: raw
"""

_NATIVE = re.compile(
    r"(?:IDENTIFIED\s+BY\s+PASSWORD|(?:VIA|OR)\s+mysql_native_password\s+USING)\s+'(\*[0-9A-F]{40})'",
    re.IGNORECASE,
)


def mariadb_native_hash(password: object) -> str:
    """``*`` + upper-case hex of SHA1(SHA1(password)), MariaDB's PASSWORD()."""
    if not isinstance(password, str):
        raise AnsibleFilterError(f"mariadb_native_hash: expected a password (a string), got {type(password).__name__}")
    if not password:
        raise AnsibleFilterError("mariadb_native_hash: the password is empty")
    inner = hashlib.sha1(password.encode("utf-8")).digest()  # noqa: S324 - MariaDB's own scheme, not ours to choose
    return "*" + hashlib.sha1(inner).hexdigest().upper()  # noqa: S324 - same


def mariadb_account_hashes(statement: object) -> list[str]:
    """The mysql_native_password hashes of a SHOW CREATE USER statement, upper case, in order."""
    if not isinstance(statement, str):
        raise AnsibleFilterError(
            f"mariadb_account_hashes: expected a SHOW CREATE USER statement (a string), got {type(statement).__name__}"
        )
    return [found.upper() for found in _NATIVE.findall(statement)]


class FilterModule:
    def filters(self) -> dict:
        return {"mariadb_native_hash": mariadb_native_hash, "mariadb_account_hashes": mariadb_account_hashes}
