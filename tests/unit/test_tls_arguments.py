"""Wrong input to the tls role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable, and a good value gets as far as trying to connect. What
only the host can tell (nginx not serving a domain's challenges) is tested in the
scenario, where the role stops before asking the CA.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

SITE = {"name": "deenify", "domains": ["donate.deenify.org", "www.donate.deenify.org"]}
GOOD = {"tls_sites": [SITE], "tls_email": "ops@deenify.org"}


def run_role(tmp_path: Path, role_vars: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "tls", role_vars)


def site(**changes) -> dict:
    return GOOD | {"tls_sites": [SITE | changes]}


@pytest.mark.parametrize(
    "role_vars",
    [
        pytest.param(GOOD, id="acme-defaults"),
        pytest.param(
            GOOD | {"tls_acme_directory": "https://acme-staging-v02.api.letsencrypt.org/directory"}, id="staging"
        ),
        pytest.param(
            GOOD | {"tls_acme_directory": "https://pebble:14000/dir", "tls_acme_ca_bundle": "/etc/ssl/pebble.pem"},
            id="private-ca",
        ),
        pytest.param({"tls_mode": "selfsigned", "tls_sites": [SITE]}, id="selfsigned-without-email"),
        pytest.param(GOOD | {"tls_metrics_file": ""}, id="no-metrics"),
    ],
)
def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path, role_vars):
    run = run_role(tmp_path, role_vars)
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Gather the distribution facts" in run.stdout, run.stdout[-3000:]


def test_a_host_without_tls_sites_is_left_alone_and_needs_no_email(tmp_path):
    # The local stack's web host: plain HTTP. The role says so and never contacts the host.
    run = run_role(tmp_path, {"tls_sites": []})
    assert run.returncode == 0, run.stdout[-3000:]
    assert "tls_sites is empty for" in run.stdout, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]


ROLE = "tls"
BAD_INPUT = [
    pytest.param(
        GOOD | {"tls_acme_directory": "http://acme-v02.api.letsencrypt.org/directory"},
        "tls_acme_directory: 'http://acme-v02.api.letsencrypt.org/directory' must be an https:// URL",
        id="directory-over-http",
    ),
    pytest.param(
        GOOD | {"tls_acme_directory": "acme-v02.api.letsencrypt.org/directory"},
        "must be an https:// URL",
        id="directory-without-scheme",
    ),
    pytest.param(
        GOOD | {"tls_acme_directory": "https://ca.example/dir ectory"},
        "must be an https:// URL",
        id="directory-with-a-space",
    ),
    pytest.param(
        GOOD | {"tls_mode": "letsencrypt"},
        "value of tls_mode must be one of: acme, selfsigned, got: letsencrypt",
        id="unknown-mode",
    ),
    pytest.param({"tls_sites": [SITE]}, "tls_email: '' is not an e-mail address; acme mode needs one", id="no-email"),
    pytest.param(
        GOOD | {"tls_email": "ops at deenify.org"},
        "tls_email: 'ops at deenify.org' is not an e-mail address",
        id="bad-email",
    ),
    pytest.param(
        site(domains=["*.deenify.org"]),
        "without wildcards, which HTTP-01 cannot prove; refused: ['*.deenify.org']",
        id="wildcard-domain",
    ),
    pytest.param(site(domains=["Donate.Deenify.org"]), "refused: ['Donate.Deenify.org']", id="upper-case-domain"),
    pytest.param(
        site(domains=["donate.deenify.org; return 200"]),
        "refused: ['donate.deenify.org; return 200']",
        id="domain-injection",
    ),
    pytest.param(site(domains=["-deenify.org"]), "refused: ['-deenify.org']", id="domain-leading-hyphen"),
    pytest.param(site(domains=[]), "domains must list 1 to 100", id="no-domains"),
    pytest.param(
        {"tls_sites": [{"name": "deenify"}], "tls_email": "ops@deenify.org"},
        "missing required arguments: domains found in tls_sites",
        id="domains-missing",
    ),
    pytest.param(site(name="Deenify"), "tls_sites[0] (Deenify): the name must be lower case", id="site-name"),
    pytest.param(
        GOOD | {"tls_sites": [SITE, SITE | {"domains": ["deenify.org"]}]},
        "tls_sites: each name once (got ['deenify', 'deenify'])",
        id="duplicate-site",
    ),
    pytest.param(
        GOOD | {"tls_sites": [SITE, {"name": "other", "domains": ["www.donate.deenify.org"]}]},
        "listed more than once: ['www.donate.deenify.org']",
        id="domain-in-two-sites",
    ),
    pytest.param(
        GOOD | {"tls_certificate_dir": "/etc/letsencrypt/deenify"},
        "tls_certificate_dir ('/etc/letsencrypt/deenify', outside /etc/letsencrypt",
        id="stable-dir-inside-letsencrypt",
    ),
    pytest.param(
        GOOD | {"tls_acme_webroot": "var/lib/deenify-acme"},
        "tls_acme_webroot ('var/lib/deenify-acme')",
        id="webroot-not-absolute",
    ),
    pytest.param(
        GOOD | {"tls_metrics_file": "/var/lib/prometheus/node-exporter/deenify_tls.txt"},
        "a .prom file, as node_exporter reads only those",
        id="metrics-not-prom",
    ),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
