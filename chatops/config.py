"""The bot's own settings, from a YAML file (deenify-bot --config), with defaults.

project: /srv/deenify-ops              # this repository's checkout
permissions: /etc/deenify-bot/permissions.yml
state_dir: /var/lib/deenify-bot        # jobs' artifacts and the audit log
keep_jobs: 50                          # job directories kept
progress_interval: 5                   # seconds between task messages
vault_password_files:                  # per environment, outside the repository
  staging: /etc/deenify-bot/staging.vault
  production: /etc/deenify-bot/production.vault
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


class ConfigError(ValueError):
    """The configuration cannot be used; the text names the setting."""


@dataclass
class Config:
    project: Path = ROOT
    permissions: Path = ROOT / "chatops" / "permissions.example.yml"
    state_dir: Path = Path("/var/lib/deenify-bot")
    keep_jobs: int = 50
    progress_interval: float = 5.0
    vault_password_files: dict[str, Path] = field(default_factory=dict)
    inventories: dict[str, Path] = field(default_factory=dict)

    @property
    def audit_log(self) -> Path:
        return self.state_dir / "audit.jsonl"

    def environments(self) -> set[str]:
        """The inventories of the project: inventories/<name>/ with a hosts file or group_vars."""
        root = self.project / "inventories"
        found = {p.name for p in root.iterdir() if p.is_dir() and any(p.glob("hosts*"))} if root.is_dir() else set()
        return found | set(self.inventories)

    def inventory(self, environment: str) -> Path:
        return self.inventories.get(environment, self.project / "inventories" / environment)

    def vault_password_file(self, environment: str) -> Path | None:
        """The environment's vault password file: the configured one, else the local stack's committed one."""
        if environment in self.vault_password_files:
            return self.vault_password_files[environment]
        local = self.project / "inventories" / f"{environment}-vault-password"
        return local if environment == "local" and local.is_file() else None

    @classmethod
    def load(cls, path: Path | None) -> Config:
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"{path}: cannot read the configuration: {error}") from error
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        known = {"project", "permissions", "state_dir", "keep_jobs", "progress_interval", "vault_password_files",
                 "inventories"}  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown settings {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        config = cls()
        for key in ("project", "permissions", "state_dir"):
            if key in data:
                setattr(config, key, Path(data[key]))
        for key, kind, low in (("keep_jobs", int, 1), ("progress_interval", float, 0.5)):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                    raise ConfigError(f"{path}: {key} must be a number of at least {low} (got {value!r})")
                setattr(config, key, kind(value))
        files = data.get("vault_password_files", {})
        if not isinstance(files, dict):
            raise ConfigError(f"{path}: vault_password_files must map environment -> file")
        config.vault_password_files = {str(k): Path(v) for k, v in files.items()}
        inventories = data.get("inventories", {})
        if not isinstance(inventories, dict):
            raise ConfigError(f"{path}: inventories must map environment -> inventory path")
        for name, where in inventories.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", str(name)) or not Path(where).exists():
                raise ConfigError(f"{path}: inventories.{name}: needs a lower-case name and an existing path ({where})")
        config.inventories = {str(k): Path(v) for k, v in inventories.items()}
        return config
