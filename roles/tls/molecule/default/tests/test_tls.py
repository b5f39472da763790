"""HTTPS of the Deenify site as browsers, a TLS scanner, certbot's renewals and monitoring see it.

Three instances: pebble, the test ACME CA (acme); a web host that obtained its certificate
from pebble over HTTP-01 (web); a web host in selfsigned mode that contacts no CA (local).
Every connection goes from the controller to the instances' addresses on the scenario's
network, with the site's names in SNI and Host. The tests that renew leave the web host
serving its newest certificate with nothing stale, as converge left it, so that the
check-mode test that follows finds nothing to change.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
from pathlib import Path

import pytest
import testinfra
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID
from sslyze import (
    CertificateInfoExtraArgument,
    ScanCommandsExtraArguments,
    Scanner,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
    MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration,
    TlsConfigurationEnum,
    check_server_against_tls_configuration,
)

from tests.helpers.fresh import assert_check_would_change, fresh_host
from tests.helpers.instances import address_of, ephemeral_dir
from tests.helpers.nginx import apply_roles, request
from tests.helpers.playbooks import ansible_playbook

PREFIX = os.environ.get("DEENIFY_INSTANCE_PREFIX", "deenify")
DISTRO = os.environ.get("MOLECULE_DISTRO", "debian13")
SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
ACME, WEB, LOCAL = (f"{PREFIX}-{name}-{DISTRO}" for name in ("acme", "web", "local"))
INVENTORY = yaml.safe_load((SCENARIO / "group_vars" / "web.yml").read_text())
DOMAINS = INVENTORY["tls_sites"][0]["domains"]
DOMAIN = DOMAINS[0]
CA_BUNDLE = INVENTORY["tls_acme_ca_bundle"]
STABLE = "/etc/deenify/tls/deenify"
METRICS = "/var/lib/prometheus/node-exporter/deenify_tls.prom"
WEBROOT = "/var/lib/deenify-acme"
HOOK = "/etc/letsencrypt/renewal-hooks/deploy/50-deenify-nginx"


class _NamedTlsConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with ``name`` in SNI, in the Host header and in the certificate check."""

    def __init__(self, address: str, name: str, context: ssl.SSLContext, port: int = 443) -> None:
        super().__init__(name, port, context=context, timeout=15)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def https_get(address: str, name: str, path: str, context: ssl.SSLContext, port: int = 443):
    connection = _NamedTlsConnection(address, name, context, port)
    try:
        connection.request("GET", path)
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


def served_certificate(address: str, name: str = DOMAIN, context: ssl.SSLContext | None = None) -> x509.Certificate:
    """The leaf certificate nginx presents for ``name``; unchecked unless a context is given."""
    if context is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((address, 443), timeout=15) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def names_of(certificate: x509.Certificate) -> list[str]:
    names = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    return sorted(names.get_values_for_type(x509.DNSName))


@pytest.fixture(scope="module")
def web():
    return testinfra.get_host(f"docker://{WEB}")


@pytest.fixture(scope="module")
def local():
    return testinfra.get_host(f"docker://{LOCAL}")


@pytest.fixture(scope="module")
def web_address() -> str:
    return address_of(WEB)


@pytest.fixture(scope="module")
def pebble_root(tmp_path_factory) -> Path:
    """pebble's issuing root, from its management interface (a new one each time pebble starts)."""
    listener_ca = ssl.create_default_context(cafile=str(ephemeral_dir() / "acme-ca" / "ca.pem"))
    status, _, body = https_get(address_of(ACME), ACME, "/roots/0", listener_ca, port=15000)
    assert status == 200, body[:500]
    root = tmp_path_factory.mktemp("pebble") / "root.pem"
    root.write_bytes(body)
    return root


@pytest.fixture(scope="module")
def trusting_pebble(pebble_root) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pebble_root))


@pytest.fixture(scope="module")
def scan(web_address, pebble_root):
    """One sslyze scan of the site, with everything Mozilla's configuration checker needs."""
    request_ = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=DOMAIN, ip_address=web_address, port=443),
        scan_commands=SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=pebble_root)
        ),
    )
    scanner = Scanner()
    scanner.queue_scans([request_])
    (result,) = list(scanner.get_results())
    assert result.scan_status == ServerScanStatusEnum.COMPLETED, result.connectivity_error_trace
    return result


@pytest.mark.parametrize("name", DOMAINS)
def test_https_serves_pebbles_certificate_for_each_domain_and_it_chains_to_pebbles_root(
    web_address, trusting_pebble, name
):
    # Verified against pebble's root alone: the chain nginx sends must be complete.
    certificate = served_certificate(web_address, name, trusting_pebble)
    assert names_of(certificate) == sorted(DOMAINS), certificate
    issuer = certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert issuer.startswith("Pebble Intermediate CA"), issuer


def test_the_stable_paths_link_to_certbots_live_files(web):
    for name in ("fullchain.pem", "privkey.pem"):
        assert web.file(f"{STABLE}/{name}").is_symlink, f"{STABLE}/{name} is not a link (still the placeholder?)"
        target = web.check_output(f"readlink {STABLE}/{name}")
        assert target == f"/etc/letsencrypt/live/deenify/{name}", target


def test_only_tls_1_2_and_1_3_are_accepted(scan):
    supported = {
        version: getattr(scan.scan_result, f"{field}_cipher_suites").result.is_tls_version_supported
        for version, field in [
            ("SSL 2.0", "ssl_2_0"), ("SSL 3.0", "ssl_3_0"), ("TLS 1.0", "tls_1_0"),
            ("TLS 1.1", "tls_1_1"), ("TLS 1.2", "tls_1_2"), ("TLS 1.3", "tls_1_3"),
        ]
    }  # fmt: skip
    expected = {
        "SSL 2.0": False,
        "SSL 3.0": False,
        "TLS 1.0": False,
        "TLS 1.1": False,
        "TLS 1.2": True,
        "TLS 1.3": True,
    }
    assert supported == expected


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_a_client_limited_to_one_version_gets_a_verified_answer(web_address, pebble_root, version):
    context = ssl.create_default_context(cafile=str(pebble_root))
    context.minimum_version = context.maximum_version = version
    status, headers, body = https_get(web_address, DOMAIN, "/hello.txt", context)
    assert status == 200, (status, headers, body[:300])
    assert body == b"Assalamu alaikum from Deenify\n"


def test_the_site_passes_mozillas_intermediate_configuration(scan):
    try:
        check_server_against_tls_configuration(
            scan, MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
        )
    except ServerNotCompliantWithTlsConfiguration as error:
        pytest.fail(f"not Mozilla intermediate: {error.issues}")


def test_https_responses_carry_hsts(web_address, trusting_pebble):
    status, headers, _ = https_get(web_address, DOMAIN, "/hello.txt", trusting_pebble)
    assert status == 200, headers
    assert headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains", headers


def test_plain_http_redirects_to_https_but_serves_acme_challenges(web, web_address):
    redirected = request(web_address, "/donations/7?currency=BDT", DOMAIN)
    assert redirected.status == 301, str(redirected)
    assert redirected.headers.get("location") == f"https://{DOMAIN}/donations/7?currency=BDT", redirected.headers
    token = f"{WEBROOT}/.well-known/acme-challenge/test-token"
    try:
        put = web.run(f"echo proof-of-control > {token}")
        assert put.rc == 0, put.stderr
        for name in DOMAINS:
            challenge = request(web_address, "/.well-known/acme-challenge/test-token", name)
            assert challenge.status == 200, str(challenge)
            assert challenge.text == "proof-of-control\n", str(challenge)
    finally:
        web.run(f"rm -f {token}")
    # The release's own .well-known stays on HTTPS: plain HTTP serves challenges only.
    other = request(web_address, "/.well-known/security.txt", DOMAIN)
    assert other.status == 301, str(other)


def test_certbots_timer_renews_with_the_ca_bundle(web):
    timer = web.service("certbot.timer")
    assert timer.is_enabled, web.run("systemctl status certbot.timer").stdout
    assert timer.is_running, web.run("systemctl status certbot.timer").stdout
    environment = web.run("systemctl show -p Environment certbot.service").stdout
    assert f"REQUESTS_CA_BUNDLE={CA_BUNDLE}" in environment, environment
    assert web.file(HOOK).mode == 0o755


def renew(web):
    """certbot renew as its timer runs it, forced, against pebble."""
    return web.run(
        f"REQUESTS_CA_BUNDLE={CA_BUNDLE} certbot renew --force-renewal --cert-name deenify --no-random-sleep-on-renew"
    )


def file_serial(web) -> int:
    return int(web.check_output(f"openssl x509 -in {STABLE}/fullchain.pem -noout -serial").split("=", 1)[1], 16)


def test_a_renewal_runs_the_hook_and_nginx_serves_the_new_certificate(web, web_address, trusting_pebble):
    before = served_certificate(web_address, DOMAIN, trusting_pebble).serial_number
    renewed = renew(web)
    assert renewed.rc == 0, renewed.stdout + renewed.stderr
    # certbot 4 says "Hook 'deploy-hook' ran", certbot 2 "Running deploy-hook command".
    assert "deploy-hook" in renewed.stdout + renewed.stderr, renewed.stdout + renewed.stderr
    after = served_certificate(web_address, DOMAIN, trusting_pebble)
    assert after.serial_number != before, "nginx still serves the certificate from before the renewal"
    assert after.serial_number == file_serial(web)


def test_the_hook_refuses_to_reload_nginx_when_nginx_t_fails(web, web_address, trusting_pebble):
    served_before = served_certificate(web_address, DOMAIN, trusting_pebble).serial_number
    broken = "/etc/nginx/conf.d/zz-broken.conf"
    try:
        assert web.run(f"echo 'this is not nginx;' > {broken}").rc == 0
        renewed = renew(web)
        assert "nginx -t failed" in renewed.stdout + renewed.stderr, renewed.stdout + renewed.stderr
        assert file_serial(web) != served_before, "certbot did not renew"
        hook = web.run(HOOK)
        assert hook.rc != 0, f"the hook passed with a broken configuration: {hook}"
        assert "nginx -t failed" in hook.stderr, hook.stderr
        assert "zz-broken.conf" in hook.stderr, hook.stderr
        still = served_certificate(web_address, DOMAIN, trusting_pebble).serial_number
        assert still == served_before, "nginx was reloaded although nginx -t failed"
    finally:
        web.run(f"rm -f {broken}")
    # Fixed, the hook reloads, and nginx catches up with the renewed files.
    hook = web.run(HOOK)
    assert hook.rc == 0, hook.stdout + hook.stderr
    assert served_certificate(web_address, DOMAIN, trusting_pebble).serial_number == file_serial(web)


def test_the_expiry_textfile_holds_the_served_certificates_end(web, web_address, trusting_pebble):
    served = served_certificate(web_address, DOMAIN, trusting_pebble)
    expected = int(served.not_valid_after_utc.timestamp())
    text = web.file(METRICS).content_string
    line = re.compile(
        r'^deenify_tls_certificate_expiry_seconds\{site="deenify",domain="([^"]+)"\} (\d+)$', re.MULTILINE
    )
    values = dict(line.findall(text))
    assert values == {name: str(expected) for name in DOMAINS}, text
    assert "# TYPE deenify_tls_certificate_expiry_seconds gauge" in text, text


def test_a_domain_nginx_does_not_serve_stops_the_run_before_the_ca(web, tmp_path):
    # other.deenify.test is no server_name of the nginx site: the CA would fail to
    # validate it, so the role must stop without asking (rate limits), naming it.
    issued = web.check_output("ls /etc/letsencrypt/archive/deenify | sort")
    role_vars = {
        **{k: v for k, v in INVENTORY.items() if k.startswith("tls_")},
        "tls_acme_directory": f"https://{ACME}:14000/dir",
        "tls_sites": [{"name": "deenify", "domains": [*DOMAINS, "other.deenify.test"]}],
    }
    code, output = apply_roles(tmp_path, WEB, ["tls"], role_vars)
    assert code != 0, output[-3000:]
    expected = "does not serve /var/lib/deenify-acme at /.well-known/acme-challenge/ for other.deenify.test (HTTP -1)"
    assert expected in output, output[-3000:]
    assert "The CA was not asked" in output, output[-3000:]
    assert web.check_output("ls /etc/letsencrypt/archive/deenify | sort") == issued, "a certificate was requested"
    assert web.file(f"{WEBROOT}/.well-known/acme-challenge/deenify-tls-probe").exists is False


def test_selfsigned_mode_serves_a_self_signed_certificate_and_contacts_no_ca(local):
    certificate = served_certificate(address_of(LOCAL), DOMAIN)
    assert certificate.issuer == certificate.subject, certificate.issuer
    assert names_of(certificate) == sorted(DOMAINS)
    target = local.check_output(f"readlink {STABLE}/fullchain.pem")
    assert target == f"{STABLE}/selfsigned/fullchain.pem", target
    on_disk = x509.load_pem_x509_certificate(local.file(f"{STABLE}/selfsigned/fullchain.pem").content)
    assert on_disk == certificate
    # No ACME client, no account, nothing logged by one: no CA was contacted.
    assert not local.package("certbot").is_installed
    assert not local.file("/etc/letsencrypt").exists
    assert not local.file("/var/log/letsencrypt").exists
    assert local.file(METRICS).contains("deenify_tls_certificate_expiry_seconds")


@pytest.mark.parametrize("mode", ["acme", "selfsigned"])
def test_check_on_a_new_host_reports_the_changes_and_makes_none(tmp_path, mode):
    # An operator's first --check --diff of the web tier on a new server: nothing is
    # installed yet, nothing may be, and no CA may be asked.
    fresh = f"{os.environ['DEENIFY_TEST_NETWORK']}-fresh-{mode}"
    with fresh_host(fresh, tmp_path / "fresh"):
        groups = {"web": [fresh], "acme": [ACME]} | ({"selfsigned": [fresh]} if mode == "selfsigned" else {})
        inventory = {
            "all": {
                "children": {
                    group: {"hosts": {host: {"ansible_connection": "docker"} for host in hosts}}
                    for group, hosts in groups.items()
                }
            }
        }
        # Beside converge.yml, so that its group_vars apply as in the scenario.
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
        run = ansible_playbook(
            "-i", str(tmp_path / "inventory.yml"), "--check", "--diff", str(SCENARIO / "converge.yml"), cwd=tmp_path
        )  # fmt: skip
        assert_check_would_change(run, fresh, at_least=6)
        untouched = testinfra.get_host(f"docker://{fresh}")
        assert not untouched.package("nginx").is_installed, "check mode installed nginx"
        assert not untouched.package("certbot").is_installed, "check mode installed certbot"
        assert not untouched.file("/etc/deenify/tls").exists, "check mode made certificates"
