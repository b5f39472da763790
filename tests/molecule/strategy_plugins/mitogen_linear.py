"""Mitogen's linear strategy, for the molecule scenarios only.

Mitogen runs modules over one persistent channel per host instead of one process per
task: a scenario's converge, idempotence and check runs take about half the time.
Operators' runs (ansible.cfg) and the tests that play an operator's SSH session use
Ansible's own strategy. DEENIFY_STRATEGY=linear runs the scenarios without it.
"""

from __future__ import annotations

import ansible_mitogen.loaders
import ansible_mitogen.strategy

_Linear = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):
    """Ansible's linear strategy, run over Mitogen connections."""
