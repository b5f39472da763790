# deenify-ops: the two commands of the README, and the steps they are made of.
#   make up      a local Deenify stack in containers, converged with playbooks/site.yml and
#                the sample app deployed with playbooks/deploy.yml
#   make test    lint, unit tests, every molecule scenario on Debian 13 and Debian 12
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
PYTHON ?= python3
# Scenarios running at once; two cores fit two.
JOBS ?= 3
DISTROS ?= debian13 debian12

.PHONY: help up down test lint unit molecule host venv images

help:
	@echo "make up       build and converge the local stack (containers), deploy the sample app, say how to reach it"
	@echo "make down     remove the local stack's containers and network"
	@echo "make test     lint, unit tests and every molecule scenario (DISTROS, JOBS)"
	@echo "make molecule SCENARIOS='common'   only some scenarios"

host:
	@scripts/ensure-host

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(VENV)/.installed

images: host
	@images/build debian13 debian12

up: host venv
	@images/build debian13
	$(BIN)/ansible-playbook playbooks/local/up.yml
	$(BIN)/ansible-playbook -i inventories/local playbooks/site.yml
	$(BIN)/ansible-playbook -i inventories/local playbooks/local/sample_app.yml
	$(BIN)/ansible-playbook -i inventories/local playbooks/deploy.yml
	@$(BIN)/ansible-playbook -i inventories/local playbooks/local/summary.yml

down: host venv
	$(BIN)/ansible-playbook playbooks/local/down.yml

lint: venv
	$(BIN)/yamllint --strict .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production
	$(BIN)/mypy

# pytest exits 5 when it collects nothing: that fails here like any other error.
unit: host venv
	$(BIN)/pytest -n 2 tests/unit

molecule: host venv
	@JOBS=$(JOBS) DISTROS="$(DISTROS)" tests/molecule/run $(SCENARIOS)

test: lint unit molecule
