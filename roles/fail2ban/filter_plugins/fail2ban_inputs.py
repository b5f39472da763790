"""Checks of the fail2ban role's inputs: addresses never to ban, ban times, the jails' settings.

fail2ban reads whatever it is given and decides late: a host name in ``ignoreip`` is
looked up in DNS at every match, a typo in a time silently becomes another time, and a
jail that does not exist is only a warning in its log. These filters refuse such values
on the controller, before a host is touched, with the variable and the entry named.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable, Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: fail2ban_inputs
short_description: Check and normalise the fail2ban role's addresses, times and jail settings
description:
  - C(fail2ban_ignoreip) checks that every entry of a list is an IPv4 or IPv6 address or
    network and returns them in their canonical spelling; anything else (a host name, a
    network with host bits set, a non-string) fails, naming the variable and the entry.
  - C(fail2ban_only_addresses) keeps the values of a list that are IP addresses and drops the
    rest (host names, empty values), as well as loopback, link-local and unspecified
    addresses; it reads addresses out of the inventory, where not every value is one.
  - C(fail2ban_inventory_addresses) collects the addresses the inventory knows for some hosts
    (C(ansible_host) when it is an address, and the addresses in their gathered facts).
  - C(fail2ban_seconds) reads a duration (seconds as an integer, or C(30s), C(10m), C(1h),
    C(1d), C(1w) and sums such as C(1h30m)) into seconds; zero, negative or malformed values
    fail, naming the variable.
  - C(fail2ban_jail_errors) lists what is wrong with a dict of jail settings: unknown jail
    names, unknown settings, times and retry counts that are not positive.
author: deenify-ops
"""

EXAMPLES = r"""
- name: Refuse ignoreip entries that are not addresses or networks
  ansible.builtin.assert:
    that: fail2ban_ignoreip | fail2ban_ignoreip('fail2ban_ignoreip') is sequence

# [192.0.2.10, 10.20.0.5] from ansible_host and the gathered facts
inventory_addresses: "{{ hostvars | fail2ban_inventory_addresses(groups['all']) }}"

# 5400
bantime: "{{ '1h30m' | fail2ban_seconds('fail2ban_jails.sshd.bantime') }}"

- name: Refuse unknown jails and bad settings
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ fail2ban_jails | fail2ban_jail_errors('fail2ban_jails', ['sshd', 'recidive']) }}"
"""

RETURN = r"""
fail2ban_ignoreip:
  description: The entries in canonical form (C(2001:db8::/32), C(192.0.2.7)), in the given order.
  type: list
  elements: str
fail2ban_only_addresses:
  description: The values that are routable IP addresses, canonical, each once, in the given order.
  type: list
  elements: str
fail2ban_inventory_addresses:
  description: The hosts' addresses, canonical, each once, in the order of the hosts.
  type: list
  elements: str
fail2ban_seconds:
  description: The duration in seconds, at least 1.
  type: int
fail2ban_jail_errors:
  description: One message per problem, each naming the variable, the jail and the setting; empty when all is well.
  type: list
  elements: str
"""

JAIL_SETTINGS = ("enabled", "bantime", "findtime", "maxretry")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")


def _address_or_network(entry: str) -> str | None:
    """The canonical spelling of an address or network, None when ``entry`` is neither."""
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=True))
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def fail2ban_ignoreip(entries: object, name: str = "fail2ban_ignoreip") -> list[str]:
    """Every entry of ``entries`` as a canonical address or network; AnsibleFilterError otherwise."""
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
        raise AnsibleFilterError(
            f"{name} must be a list of IPv4/IPv6 addresses or networks, got {type(entries).__name__}: {entries!r}"
        )
    result = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, str):
            raise AnsibleFilterError(
                f"{name}[{index}]: {entry!r} is a {type(entry).__name__}, not an IPv4/IPv6 address or network"
            )
        text = entry.strip()
        canonical = _address_or_network(text)
        if canonical is not None:
            result.append(canonical)
            continue
        hint = ""
        with contextlib.suppress(ValueError):
            hint = f" (the network that holds it is {ipaddress.ip_network(text, strict=False)})"
        raise AnsibleFilterError(
            f"{name}[{index}]: {entry!r} is not an IPv4/IPv6 address or network{hint}; host names are not accepted, "
            "because fail2ban would look them up in DNS at every match"
        )
    return result


def fail2ban_only_addresses(values: object) -> list[str]:
    """The routable IP addresses among ``values``, canonical and each once; everything else is dropped."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        values = [values]
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        try:
            address = ipaddress.ip_address(value.strip().split("%", 1)[0])
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        if str(address) not in result:
            result.append(str(address))
    return result


def fail2ban_inventory_addresses(hostvars: Mapping, hosts: Iterable[str]) -> list[str]:
    """The addresses the inventory knows for ``hosts``: ansible_host and the gathered facts."""
    found: list[object] = []
    for host in hosts:
        if host not in hostvars:
            continue
        variables = hostvars[host]
        found.append(variables.get("ansible_host", ""))
        facts = variables.get("ansible_facts", {}) or {}
        for key in ("all_ipv4_addresses", "all_ipv6_addresses"):
            found.extend(facts.get(key, []) or [])
    return fail2ban_only_addresses(found)


def fail2ban_seconds(value: object, name: str = "duration") -> int:
    """``value`` (an int of seconds, or such as 10m, 1h30m, 1d, 1w) in seconds, at least 1."""
    if isinstance(value, bool):
        raise AnsibleFilterError(f"{name}: {value!r} is not a duration such as 600, 10m, 1h or 1d")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    elif isinstance(value, str) and _DURATION.match(value.strip().lower()):
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(value.strip().lower()))
    else:
        raise AnsibleFilterError(f"{name}: {value!r} is not a duration such as 600, 10m, 1h or 1d")
    if seconds <= 0:
        raise AnsibleFilterError(
            f"{name}: {value!r} is not a positive duration; give at least one second (fail2ban's -1, a ban "
            "for ever, is not accepted: a wrong ban would never end)"
        )
    return seconds


def _setting_errors(where: str, settings: Mapping) -> list[str]:
    errors = []
    for key in settings:
        if key not in JAIL_SETTINGS:
            errors.append(f"{where}: unknown setting {key!r}; a jail takes {', '.join(JAIL_SETTINGS)}")
    if "enabled" in settings and not isinstance(settings["enabled"], bool):
        errors.append(f"{where}.enabled: {settings['enabled']!r} is not true or false")
    for key in ("bantime", "findtime"):
        if key in settings:
            try:
                fail2ban_seconds(settings[key], f"{where}.{key}")
            except AnsibleFilterError as error:
                errors.append(str(error))
    if "maxretry" in settings:
        retries = settings["maxretry"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            errors.append(f"{where}.maxretry: {retries!r} is not a whole number of at least 1")
    return errors


def fail2ban_jail_errors(jails: object, name: str, known: Iterable[str], complete: bool = False) -> list[str]:
    """What is wrong with ``jails`` (jail name -> settings); ``complete`` asks for every jail and setting."""
    known = list(known)
    if not isinstance(jails, Mapping):
        return [f"{name} must be a dict of jail names to settings, got {type(jails).__name__}: {jails!r}"]
    errors = []
    for jail, settings in jails.items():
        where = f"{name}.{jail}"
        if jail not in known:
            errors.append(f"{name}: unknown jail {jail!r}; the role has {', '.join(known)}")
            continue
        if not isinstance(settings, Mapping):
            errors.append(f"{where} must be a dict of settings ({', '.join(JAIL_SETTINGS)}), got {settings!r}")
            continue
        errors.extend(_setting_errors(where, settings))
        if complete:
            missing = [key for key in JAIL_SETTINGS if key not in settings]
            if missing:
                errors.append(f"{where}: lacks {', '.join(missing)}")
    if complete:
        missing_jails = [jail for jail in known if jail not in jails]
        if missing_jails:
            errors.append(f"{name}: lacks the jails {', '.join(missing_jails)}")
    return errors


class FilterModule:
    """Input checks of the fail2ban role."""

    def filters(self) -> dict:
        return {
            "fail2ban_ignoreip": fail2ban_ignoreip,
            "fail2ban_only_addresses": fail2ban_only_addresses,
            "fail2ban_inventory_addresses": fail2ban_inventory_addresses,
            "fail2ban_seconds": fail2ban_seconds,
            "fail2ban_jail_errors": fail2ban_jail_errors,
        }
