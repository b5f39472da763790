"""Keep secrets out of chat, the audit log and kept artifacts.

The secrets are the values of every vault-encrypted string in an environment's inventory
(``!vault`` scalars and wholly encrypted files), decrypted with the vault password the
bot runs that environment with. Results of no_log tasks are already censored by Ansible
in the events; the redactor replaces any secret value that still appears in text, in
events or in files, with ``[redacted]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret, is_encrypted

MASK = "[redacted]"
# Shorter values would turn ordinary words into masks (and are no secrets worth the name).
MIN_SECRET_LENGTH = 6


class VaultError(ValueError):
    """An inventory's vault could not be read; the text names the file."""


class _VaultLoader(yaml.SafeLoader):
    """YAML with ``!vault`` scalars kept as their ciphertext."""


def _vault_scalar(loader: yaml.SafeLoader, node: yaml.Node) -> _Cipher:
    return _Cipher(loader.construct_scalar(node))  # type: ignore[arg-type]


class _Cipher(str):
    pass


_VaultLoader.add_constructor("!vault", _vault_scalar)
# Other Ansible tags (!unsafe) read as the strings they are.
_VaultLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]


def _leaves(value: object) -> Iterable[object]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def vault_values(inventory: Path, password: bytes, vault_id: str = "default") -> set[str]:
    """Every vault-encrypted value in the YAML files under ``inventory`` (or beside it, for a file), decrypted."""
    vault = VaultLib([(vault_id, VaultSecret(password))])
    found: set[str] = set()
    base = Path(inventory) if Path(inventory).is_dir() else Path(inventory).parent
    for path in sorted(base.rglob("*")):
        if path.suffix not in {".yml", ".yaml", ""} or not path.is_file():
            continue
        raw = path.read_bytes()
        try:
            if is_encrypted(raw):
                document = yaml.load(vault.decrypt(raw), Loader=_VaultLoader)  # noqa: S506 - a SafeLoader subclass
                found.update(str(v) for v in _leaves(document) if isinstance(v, str | int) and not isinstance(v, bool))
                continue
            if b"!vault" not in raw:
                continue
            document = yaml.load(raw, Loader=_VaultLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            raise VaultError(f"{path}: not YAML: {error}") from error
        except Exception as error:  # ansible's AnsibleError and its kin
            raise VaultError(f"{path}: cannot decrypt with the vault password given for it: {error}") from error
        for value in _leaves(document):
            if isinstance(value, _Cipher):
                try:
                    found.add(vault.decrypt(str(value).encode()).decode())
                except Exception as error:
                    raise VaultError(f"{path}: cannot decrypt with the vault password given for it: {error}") from error
    return found


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        values = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        # Also the forms a value takes in JSON text and in shell-quoted text.
        variants = set(values)
        for value in values:
            variants.add(json.dumps(value)[1:-1])
        # Longest first: a secret that contains another is masked whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self.__init__([*self._secrets, *secrets])  # type: ignore[misc]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def redact_value(self, value: object) -> object:
        """A copy of ``value`` (text, or JSON-like data) with every secret masked, keys included."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(v) for v in value]
        return value

    def redact_in_place(self, value: dict[str, Any]) -> dict[str, Any]:
        """Mask secrets inside ``value`` itself (ansible-runner writes the very event it handed over)."""
        for key in list(value):
            item = value[key]
            if isinstance(item, dict):
                self.redact_in_place(item)
            else:
                value[key] = self.redact_value(item)
        return value

    def redact_tree(self, root: Path) -> int:
        """Rewrite the text files under ``root`` with secrets masked; the number of files changed."""
        changed = 0
        for path in Path(root).rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                text = path.read_text()
            except (UnicodeDecodeError, OSError):
                continue
            clean = self.redact(text)
            if clean != text:
                path.write_text(clean)
                changed += 1
        return changed
