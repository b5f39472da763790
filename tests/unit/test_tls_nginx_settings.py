"""The nginx role's TLS inputs (profile, OCSP stapling, challenge directory) fail before any host is touched.

Like tests/unit/test_nginx_arguments.py, each case runs the nginx role against a host that
cannot be reached: a bad value fails on the controller, naming the variable; a good one
gets as far as trying to connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

TLS = {
    "certificate": "/etc/deenify/tls/deenify/fullchain.pem",
    "certificate_key": "/etc/deenify/tls/deenify/privkey.pem",
}
SITE = {"name": "deenify", "server_names": ["donate.deenify.org"], "tls": TLS}


def run_role(tmp_path: Path, overrides: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "nginx", {"nginx_sites": [SITE]} | overrides)


def tls(**changes) -> dict:
    return {"nginx_sites": [SITE | {"tls": TLS | changes}]}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"nginx_tls_profile": "intermediate"}, id="intermediate"),
        pytest.param({"nginx_tls_profile": "modern"}, id="modern"),
        pytest.param(tls(ocsp_stapling=True) | {"nginx_resolvers": ["127.0.0.53"]}, id="stapling-with-resolver"),
        pytest.param(tls(redirect_port=8443), id="redirect-port"),
        pytest.param({"nginx_acme_webroot": "/var/lib/acme-challenges"}, id="own-webroot"),
    ],
)
def test_good_tls_input_passes_validation_and_only_then_tries_the_host(tmp_path, overrides):
    run = run_role(tmp_path, overrides)
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"nginx_tls_profile": "old"},
            "value of nginx_tls_profile must be one of: intermediate, modern, got: old",
            id="unknown-profile",
        ),
        pytest.param(
            tls(ocsp_stapling=True),
            "nginx_sites ['deenify'] set tls.ocsp_stapling, and nginx must then ask DNS",
            id="stapling-without-resolver",
        ),
        pytest.param(
            {"nginx_resolvers": ["127.0.0.53; ssl_stapling off"]},
            "nginx_resolvers: each entry must be an address or host name",
            id="resolver-injection",
        ),
        pytest.param(
            {"nginx_acme_webroot": "/srv/deenify/current/public"},
            "nginx_acme_webroot: '/srv/deenify/current/public' must be an absolute path",
            id="webroot-in-the-releases",
        ),
        pytest.param({"nginx_acme_webroot": "acme"}, "nginx_acme_webroot: 'acme' must be", id="webroot-relative"),
        pytest.param({"nginx_hsts_max_age": -1}, "nginx_hsts_max_age: -1 must be 0", id="hsts-negative"),
        pytest.param(
            tls(certificate="/etc/deenify/tls/deenify/full chain.pem"),
            "and so must tls.certificate and tls.certificate_key",
            id="certificate-path-with-space",
        ),
        pytest.param(tls(redirect_port=70000), "tls.redirect_port a TCP port", id="redirect-port"),
    ],
)
def test_bad_tls_input_fails_before_the_host_naming_the_variable(tmp_path, overrides, expected):
    run = run_role(tmp_path, overrides)
    assert run.returncode != 0
    assert "UNREACHABLE" not in run.stdout, f"validation let it through:\n{run.stdout[-3000:]}"
    assert expected in " ".join(run.stdout.split()), run.stdout[-3000:]
