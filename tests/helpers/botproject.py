"""A small project for the bot's tests: inventories with a real vault, and playbooks on localhost.

Its playbooks stand in for the repository's (deploy.yml, rollback.yml, ...) and run in a
second or two: one prints a vault value on purpose, one fails naming it, one runs until
it is canceled. ``local`` opens its vault with a committed-style password file, as the
repository's local stack does; ``production`` with a file named in the bot's
configuration.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from chatops.config import Config

SECRETS = {
    "local": "local-donor-db-password-7f3a91c2",
    "production": "production-gateway-key-5be2d8e0",
}
PASSWORDS = {"local": b"local-vault-password-for-tests", "production": b"production-vault-password-for-tests"}

PLAYBOOKS = {
    "deploy.yml": """
        - name: Deploy
          hosts: all
          gather_facts: false
          tasks:
            - name: Say what is deployed
              ansible.builtin.debug:
                msg: "deploying {{ app_ref | default('the inventory ref') }}"
            - name: Print the secret, as a careless task would
              ansible.builtin.debug:
                msg: "the password is {{ vault_demo_secret }}"
            - name: Say something without logging it
              ansible.builtin.debug:
                msg: a message for nobody
              no_log: true
            - name: Use the secret without logging it
              ansible.builtin.command: "echo {{ vault_demo_secret }}"
              no_log: true
              changed_when: false
        """,
    "rollback.yml": """
        - name: Roll back
          hosts: all
          gather_facts: false
          tasks:
            - name: Refuse, naming the secret in the message
              ansible.builtin.fail:
                msg: "cannot roll back with {{ vault_demo_secret }}"
        """,
    "unlock.yml": """
        - name: Hold on
          hosts: all
          gather_facts: false
          tasks:
            - name: Wait a long time
              ansible.builtin.command: sleep 60
              changed_when: false
            - name: Never reached when canceled
              ansible.builtin.debug:
                msg: done
        """,
    "status.yml": """
        - name: Status
          hosts: all
          gather_facts: false
          tasks:
            - name: Say it is fine
              ansible.builtin.debug:
                msg: fine
        """,
    "restore.yml": """
        - name: Restore
          hosts: all
          gather_facts: false
          tasks:
            - name: Say which snapshot
              ansible.builtin.debug:
                msg: "restoring {{ restore_snapshot }}"
        """,
}

PERMISSIONS = {
    "users": {
        "UAMINA": {"name": "amina", "roles": {"local": "admin", "production": "admin"}},
        "URAFIQ": {"name": "rafiq", "roles": {"local": "operator", "production": "admin"}},
        "UJAMIL": {"name": "jamil", "roles": {"local": "viewer", "production": "viewer"}},
    },
    "approval_window": 120,
}


def _encrypted(value: str, environment: str) -> str:
    secret = VaultSecret(PASSWORDS[environment])
    cipher = VaultLib([(environment, secret)]).encrypt(value, secret, vault_id=environment).decode()
    return "!vault |\n" + textwrap.indent(cipher, "  ")


def make_project(root: Path, keep_jobs: int = 50) -> Config:
    """The project under ``root`` and a bot configuration for it."""
    (root / "playbooks").mkdir(parents=True)
    for name, text in PLAYBOOKS.items():
        (root / "playbooks" / name).write_text("---\n" + textwrap.dedent(text).lstrip())
    (root / "ansible.cfg").write_text(
        "[defaults]\nvault_password_file = inventories/local-vault-password\nretry_files_enabled = false\n"
    )
    for environment in ("local", "production"):
        inventory = root / "inventories" / environment
        (inventory / "group_vars" / "all").mkdir(parents=True)
        hosts = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}},
                         "vars": {"ansible_python_interpreter": sys.executable}}}  # fmt: skip
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
        (inventory / "group_vars" / "all" / "vault.yml").write_text(
            f"---\nvault_demo_secret: {_encrypted(SECRETS[environment], environment)}\n"
        )
    (root / "inventories" / "local-vault-password").write_bytes(PASSWORDS["local"] + b"\n")
    (root / "production.vault").write_bytes(PASSWORDS["production"] + b"\n")
    (root / "permissions.yml").write_text(yaml.safe_dump(PERMISSIONS))
    return Config(
        project=root,
        permissions=root / "permissions.yml",
        state_dir=root / "state",
        keep_jobs=keep_jobs,
        progress_interval=0.5,
        vault_password_files={"production": root / "production.vault"},
    )
