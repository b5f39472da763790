"""Who may run what, per environment, from a YAML permissions file.

    users:
      U01AMINA:                 # the chat's user id (Slack's, or the CLI's --user)
        name: amina
        roles: {staging: admin, production: admin}
      U02RAFIQ:
        name: rafiq
        roles: {staging: operator, production: viewer}
    protected_environments: [production]
    approval_window: 900        # seconds a second person has to approve a restore

Roles rise viewer < operator < admin. A viewer reads (status, jobs, log); an operator
also changes things (deploy, rollback, backup, drift, unlock, incident, cancel). In a
protected environment deploy, restore and rotate-secrets need an admin, and a restore
also needs a second admin's approval within the window; nobody approves their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROLES = ("viewer", "operator", "admin")
# The least role each command needs in the command's environment (None: anyone listed).
NEEDS: dict[str, str | None] = {
    "help": None,
    "jobs": None,
    # Checked against the request's environment when it is approved or denied.
    "approve": None,
    "deny": None,
    "status": "viewer",
    "log": "viewer",
    "drift": "operator",
    "deploy": "operator",
    "rollback": "operator",
    "backup": "operator",
    "restore": "operator",
    "incident": "operator",
    "unlock": "operator",
    "cancel": "operator",
    "rotate-secrets": "operator",
}
ADMIN_WHEN_PROTECTED = frozenset({"deploy", "restore", "rotate-secrets"})
APPROVAL_WHEN_PROTECTED = frozenset({"restore"})


class PermissionsError(ValueError):
    """The permissions file cannot be used; the text names the entry."""


@dataclass(frozen=True)
class User:
    id: str
    name: str
    roles: dict[str, str]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    needs_approval: bool = False
    approver_role: str | None = None


@dataclass
class Policy:
    users: dict[str, User]
    protected: frozenset[str] = frozenset({"production"})
    approval_window: int = 900
    environments: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def load(cls, path: Path, environments: set[str]) -> Policy:
        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as error:
            raise PermissionsError(f"{path}: cannot read the permissions file: {error}") from error
        return cls.from_dict(data, environments, source=str(path))

    @classmethod
    def from_dict(cls, data: object, environments: set[str], source: str = "permissions") -> Policy:
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise PermissionsError(f"{source}: expected a mapping with 'users' (user id -> name and roles)")
        users: dict[str, User] = {}
        for user_id, entry in data["users"].items():
            where = f"{source}: users.{user_id}"
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
                raise PermissionsError(f"{where}: needs a name")
            roles = entry.get("roles", {})
            if not isinstance(roles, dict):
                raise PermissionsError(f"{where}.roles: expected environment -> role")
            for environment, role in roles.items():
                if environment not in environments:
                    known = ", ".join(sorted(environments))
                    raise PermissionsError(f"{where}.roles: no environment '{environment}' (inventories: {known})")
                if role not in ROLES:
                    raise PermissionsError(f"{where}.roles.{environment}: '{role}' is not one of {', '.join(ROLES)}")
            users[str(user_id)] = User(str(user_id), entry["name"], dict(roles))
        protected = data.get("protected_environments", ["production"])
        if not isinstance(protected, list) or not all(isinstance(e, str) for e in protected):
            raise PermissionsError(f"{source}: protected_environments must be a list of environment names")
        window = data.get("approval_window", 900)
        if not isinstance(window, int) or isinstance(window, bool) or not 30 <= window <= 86400:
            raise PermissionsError(f"{source}: approval_window must be whole seconds, 30 to 86400 (got {window!r})")
        return cls(users, frozenset(protected), window, frozenset(environments))

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user else user_id

    def role(self, user_id: str, environment: str) -> str | None:
        user = self.users.get(user_id)
        return user.roles.get(environment) if user else None

    def has(self, user_id: str, environment: str, least: str) -> bool:
        role = self.role(user_id, environment)
        return role is not None and ROLES.index(role) >= ROLES.index(least)

    def check(self, user_id: str, command: str, environment: str | None) -> Decision:
        """May ``user_id`` run ``command`` in ``environment``? The reason says why or why not."""
        user = self.users.get(user_id)
        if user is None:
            return Decision(False, f"{user_id} is not in the permissions file; ask an admin to add you")
        least = NEEDS.get(command, "admin")
        if least is None:
            return Decision(True, f"{user.name} may run {command}")
        if environment is None:
            return Decision(False, f"{command} needs an environment")
        protected = environment in self.protected
        if protected and command in ADMIN_WHEN_PROTECTED:
            least = "admin"
        if not self.has(user_id, environment, least):
            held = self.role(user_id, environment) or "no role"
            return Decision(False, f"{command} in {environment} needs {least}; {user.name} has {held} there")
        if protected and command in APPROVAL_WHEN_PROTECTED:
            return Decision(
                True,
                f"{command} in {environment} needs a second admin's approval within {self.approval_window} s",
                needs_approval=True,
                approver_role="admin",
            )
        return Decision(True, f"{user.name} is {self.role(user_id, environment)} in {environment}")
