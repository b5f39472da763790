"""Client hosts of the database role, written once and read by MariaDB and PostgreSQL.

The inventory lists where the application may connect from (``database_app_client_hosts``)
as addresses, CIDR networks or host names. MariaDB wants them as account host parts
(``10.0.0.0/255.255.255.0``, ``%.example.com``); PostgreSQL as pg_hba address fields
(``10.0.0.0/24``, ``.example.com``). These filters check each entry and translate it.
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: database_hosts
short_description: Check client hosts and write them as MariaDB host parts or pg_hba addresses
description:
  - C(database_client_host_errors) returns one message per entry that is neither an IP
    address, a CIDR network, a host name, nor a domain pattern C(%.example.com).
  - C(database_host_kind) says what an entry is: C(address), C(network), C(name),
    C(pattern), or an empty string for none of them.
  - C(database_differing_settings) names the settings whose running value (as text)
    differs from the expected one, to decide between a restart and a live change.
  - C(database_mysql_accounts) expands accounts into one entry per MariaDB host part;
    C(database_mysql_stale) picks the rows of mysql.user that no entry lists.
  - C(mariadb_host_parts) writes each entry as a MariaDB account host part; a CIDR network
    becomes address/netmask (MariaDB has no prefix lengths), IPv4 only.
  - C(pg_hba_addresses) writes each entry as a pg_hba address field; an address becomes a
    single-host network, C(localhost) the two loopback networks, C(%.example.com)
    the suffix match C(.example.com).
author: deenify-ops
"""

EXAMPLES = r"""
# [] or ["database_app_client_hosts[1]: 'db server' is not ..."]
errors: "{{ database_app_client_hosts | database_client_host_errors('database_app_client_hosts', 'mariadb') }}"
# ['localhost', '10.0.0.0/255.255.255.0']
hosts: "{{ ['localhost', '10.0.0.0/24'] | mariadb_host_parts }}"
# ['127.0.0.1/32', '::1/128', '10.0.0.0/24']
hosts: "{{ ['localhost', '10.0.0.0/24'] | pg_hba_addresses }}"
"""

RETURN = r"""
_value:
  description: A list of messages (database_client_host_errors) or of translated entries.
  type: list
  elements: str
"""

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$", re.IGNORECASE)
_DOMAIN_PATTERN = re.compile(rf"^%(?:\.{_LABEL})+$", re.IGNORECASE)
_ACCEPTED = "an IP address, a CIDR network such as 10.0.0.0/24, a host name, or a pattern such as %.example.com"


def _kind(entry: object) -> str | None:
    """'address', 'network', 'name', 'pattern', or None when the entry is none of them."""
    if not isinstance(entry, str) or not entry:
        return None
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=True)
        except ValueError:
            return None
        return "network"
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        pass
    else:
        return "address"
    if _DOMAIN_PATTERN.match(entry):
        return "pattern"
    # A name made only of digits and dots would be read as a (bad) address, not a name.
    if _HOST_NAME.match(entry) and not re.fullmatch(r"[0-9.]+", entry):
        return "name"
    return None


def database_host_kind(entry: object) -> str:
    """'address', 'network', 'name', 'pattern', or '' when ``entry`` is none of them."""
    return _kind(entry) or ""


def database_client_host_errors(hosts: object, name: str = "client hosts", engine: str = "mariadb") -> list[str]:
    """One message per entry of ``hosts`` that ``engine`` could not use; empty when all are good."""
    if not isinstance(hosts, list):
        return [f"{name}: {hosts!r} is not a list of hosts"]
    errors = []
    for index, entry in enumerate(hosts):
        kind = _kind(entry)
        if kind is None:
            errors.append(f"{name}[{index}]: {entry!r} is not {_ACCEPTED}")
        elif kind == "network" and engine != "postgresql" and ipaddress.ip_network(entry).version == 6:
            errors.append(f"{name}[{index}]: {entry!r}: MariaDB and MySQL accept IPv4 networks only")
    return errors


def _checked(hosts: object) -> list[str]:
    errors = database_client_host_errors(hosts, engine="postgresql")
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    return list(hosts)  # type: ignore[arg-type]


def mariadb_host_parts(hosts: object) -> list[str]:
    """``hosts`` as MariaDB account host parts, in order, without duplicates."""
    parts: list[str] = []
    for entry in _checked(hosts):
        if _kind(entry) == "network":
            network = ipaddress.ip_network(entry)
            if network.version == 6:
                raise AnsibleFilterError(f"{entry!r}: MariaDB and MySQL accept IPv4 networks only")
            part = f"{network.network_address}/{network.netmask}"
        else:
            part = entry.lower()
        if part not in parts:
            parts.append(part)
    return parts


def pg_hba_addresses(hosts: object) -> list[str]:
    """``hosts`` as pg_hba address fields, in order, without duplicates."""
    addresses: list[str] = []
    for entry in _checked(hosts):
        kind = _kind(entry)
        if entry.lower() == "localhost":
            found = ["127.0.0.1/32", "::1/128"]
        elif kind in ("address", "network"):
            found = [str(ipaddress.ip_network(entry))]
        elif kind == "pattern":
            found = [entry[1:].lower()]
        else:
            found = [entry.lower()]
        for address in found:
            if address not in addresses:
                addresses.append(address)
    return addresses


def database_differing_settings(expected: dict, running: dict) -> list[str]:
    """Names in ``expected`` whose value, as text, differs from ``running`` (or is missing there)."""
    return [name for name, value in expected.items() if name not in running or str(running[name]) != str(value)]


def database_mysql_accounts(accounts: list[dict]) -> list[dict]:
    """One entry per account and MariaDB host part, each with ``key`` = user@host."""
    return [
        {**{k: v for k, v in account.items() if k != "hosts"}, "host": host, "key": f"{account['user']}@{host}"}
        for account in accounts
        for host in mariadb_host_parts(account["hosts"])
    ]


def database_mysql_stale(rows: list[dict], accounts: list[dict]) -> list[dict]:
    """Rows of mysql.user (User, Host) that ``accounts`` (from database_mysql_accounts) do not list."""
    wanted = {account["key"] for account in accounts}
    return [row for row in rows if f"{row['User']}@{row['Host'].lower()}" not in wanted]


class FilterModule:
    """Client hosts of the database role."""

    def filters(self) -> dict:
        return {
            "database_client_host_errors": database_client_host_errors,
            "database_differing_settings": database_differing_settings,
            "database_host_kind": database_host_kind,
            "database_mysql_accounts": database_mysql_accounts,
            "database_mysql_stale": database_mysql_stale,
            "mariadb_host_parts": mariadb_host_parts,
            "pg_hba_addresses": pg_hba_addresses,
        }
