"""Wrong input to the nginx role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect. Values
that only nginx itself can judge (a malformed wildcard) are tested in the scenario.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

SITE = {"name": "deenify", "server_names": ["deenify.org", "www.deenify.org"]}


def run_role(tmp_path: Path, overrides: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "nginx", {"nginx_sites": [SITE]} | overrides)


def site(**changes) -> dict:
    return {"nginx_sites": [SITE | changes]}


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(tmp_path, site(client_max_body_size="50M", tls={"certificate": "/a.pem", "certificate_key": "/k"}))
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Gather the distribution and network facts" in run.stdout, run.stdout[-3000:]


ROLE = "nginx"
BASE_VARS = {"nginx_sites": [SITE]}
BAD_INPUT = [
    pytest.param(
        {"nginx_client_max_body_size": "big"}, "nginx_client_max_body_size: 'big' is not a size", id="body-size"
    ),
    pytest.param(
        site(client_max_body_size="10 parsecs"),
        "nginx_sites[0].client_max_body_size: '10 parsecs' is not a size",
        id="site-body-size",
    ),
    pytest.param(
        site(server_names=[]),
        "must list at least one host name without spaces, quotes or ; { } (got [])",
        id="no-server-names",
    ),
    pytest.param(
        {"nginx_sites": [{"name": "deenify"}]},
        "missing required arguments: server_names found in nginx_sites",
        id="server-names-missing",
    ),
    pytest.param(
        site(server_names=["deenify.org; return 200"]),
        "(got ['deenify.org; return 200'])",
        id="server-name-injection",
    ),
    pytest.param(site(name="Deenify"), "nginx_sites[0] (Deenify): the name must be lower case", id="site-name"),
    pytest.param(
        {"nginx_sites": [SITE, SITE]}, "nginx_sites: each name once (got ['deenify', 'deenify'])", id="duplicate"
    ),
    pytest.param({"nginx_rate_limit": "10/min"}, "nginx_rate_limit: '10/min' must be requests", id="rate"),
    pytest.param({"nginx_rate_limited_paths": ["login"]}, "refused: ['login']", id="rate-limited-path-not-absolute"),
    pytest.param({"nginx_status_port": 80}, "nginx_status_port: 80 must be a TCP port", id="status-port"),
    pytest.param(
        {"nginx_permissions_policy": 'camera=() " always; add_header X 1'},
        "may not hold double quotes",
        id="header-quote",
    ),
    pytest.param(
        {"nginx_frame_options": "ALLOWALL"},
        "value of nginx_frame_options must be one of: DENY, SAMEORIGIN, got: ALLOWALL",
        id="frame-options",
    ),
    pytest.param(
        site(tls={"certificate": "/a.pem"}),
        "missing required arguments: certificate_key found in nginx_sites -> tls",
        id="tls-without-key",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, overrides, expected):
    bad_input_runs(overrides).assert_refused_naming(expected)
