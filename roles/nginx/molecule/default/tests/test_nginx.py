"""The Laravel site as a browser, a scanner, a flood of logins and an operator see it."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
from pathlib import Path

import pytest
import testinfra

from tests.helpers.fresh import assert_check_would_change, check_run, fresh_host
from tests.helpers.instances import address_of
from tests.helpers.nginx import apply_roles, port_is_closed, request, scenario_vars

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
SITE = "deenify.test"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(self)",
}


@pytest.fixture(scope="module")
def container(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def address(container) -> str:
    return address_of(container)


def test_the_front_controller_answers_every_application_path(address):
    response = request(address, "/donations/42?currency=BDT", SITE)
    assert response.status == 200, str(response)
    page = json.loads(response.body)
    assert page["request_uri"] == "/donations/42?currency=BDT", page
    # $realpath_root: PHP sees the release's own path, never the current symlink.
    assert page["script_filename"] == "/srv/deenify/releases/r1/public/index.php", page
    assert page["document_root"] == "/srv/deenify/releases/r1/public", page


def test_a_release_switch_is_served_at_once_despite_opcache(host, address):
    # OPcache never checks timestamps; only the real path tells the releases apart.
    assert json.loads(request(address, "/", SITE).body)["release"] == "r1"
    try:
        switched = host.run(
            "ln -sfn releases/r2 /srv/deenify/current.new && mv -T /srv/deenify/current.new /srv/deenify/current"
        )
        assert switched.rc == 0, switched.stderr
        page = json.loads(request(address, "/", "www.deenify.test").body)
        assert page["release"] == "r2", page
        assert page["script_filename"] == "/srv/deenify/releases/r2/public/index.php", page
    finally:
        host.run("ln -sfn releases/r1 /srv/deenify/current.new && mv -T /srv/deenify/current.new /srv/deenify/current")


@pytest.mark.parametrize(
    ("path", "status", "secret"),
    [
        pytest.param("/.env", 403, "APP_KEY", id="hidden-file"),
        pytest.param("/build/.env", 403, "APP_KEY", id="hidden-file-under-build"),
        pytest.param("/info.php", 404, "info.php ran", id="php-besides-index"),
    ],
)
def test_hidden_files_and_other_php_scripts_are_refused(address, path, status, secret):
    response = request(address, path, SITE)
    assert response.status == status, str(response)
    assert secret not in response.text, str(response)


def test_well_known_is_served(address):
    response = request(address, "/.well-known/security.txt", SITE)
    assert response.status == 200, str(response)
    assert "Contact: mailto:security@deenify.test" in response.text, str(response)


def test_built_assets_are_cached_long_compressed_and_keep_the_security_headers(address):
    response = request(address, "/build/assets/app-4f2a9c.js", SITE, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200, str(response)
    assert response.headers.get("cache-control") == "public, max-age=31536000, immutable", response.headers
    assert response.headers.get("content-encoding") == "gzip", response.headers
    assert b"export const donate" in gzip.decompress(response.body)
    missing = {k: v for k, v in SECURITY_HEADERS.items() if response.headers.get(k) != v}
    assert not missing, f"asset response lacks {missing}: {response.headers}"


def test_pages_carry_the_security_headers_and_no_hsts_without_tls(address):
    response = request(address, "/", SITE)
    missing = {k: v for k, v in SECURITY_HEADERS.items() if response.headers.get(k) != v}
    assert not missing, f"page lacks {missing}: {response.headers}"
    assert "strict-transport-security" not in response.headers, response.headers
    assert "x-powered-by" not in response.headers, response.headers
    assert response.headers.get("server") == "nginx", response.headers


def test_a_tls_site_redirects_plain_http_and_answers_https_with_hsts(host, address):
    plain = request(address, "/donations/7", "secure.deenify.test")
    assert plain.status == 301, str(plain)
    assert plain.headers.get("location") == "https://secure.deenify.test/donations/7", plain.headers
    # SNI needs the name: curl inside the instance, over loopback.
    https = host.run(
        "curl -sS -k -D - --resolve secure.deenify.test:443:127.0.0.1 https://secure.deenify.test/donations/7"
    )
    assert https.rc == 0, https.stderr
    head, _, body = https.stdout.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), https.stdout[:1500]
    assert "strict-transport-security: max-age=31536000; includesubdomains" in head.lower(), head
    assert json.loads(body)["request_uri"] == "/donations/7", body[:500]
    unknown = host.run("curl -sS -k --resolve other.test:443:127.0.0.1 https://other.test/")
    assert unknown.rc != 0, f"an unknown name got a TLS answer: {unknown.stdout[:500]}"


def test_a_tls_site_without_a_certificate_gets_a_placeholder_and_a_present_one_is_kept(host):
    # SNI needs the name: curl inside the instance, over loopback.
    fresh = host.run(
        "curl -sS -k -D - -o /dev/null --resolve fresh.deenify.test:443:127.0.0.1 https://fresh.deenify.test/donations/1"
    )
    assert fresh.rc == 0, fresh.stderr
    assert fresh.stdout.startswith("HTTP/1.1 200"), fresh.stdout[:1500]
    subject = host.check_output(
        "openssl x509 -in /etc/deenify/tls/fresh/fullchain.pem -noout -subject -ext subjectAltName"
    )
    assert "Placeholder until the tls role installs a certificate" in subject, subject
    assert "DNS:fresh.deenify.test" in subject, subject
    assert host.file("/etc/deenify/tls/fresh/privkey.pem").mode == 0o600
    kept = host.check_output("openssl x509 -in /etc/ssl/deenify-test/cert.pem -noout -subject")
    assert "Placeholder" not in kept, kept
    assert "secure.deenify.test" in kept, kept


def test_acme_challenges_come_from_their_own_directory_over_plain_http(host, address):
    # The release has a challenge file of its own: the one that must answer is the webroot's.
    webroot = "/var/lib/deenify-acme/.well-known/acme-challenge/token-42"
    release = "/srv/deenify/releases/r1/public/.well-known/acme-challenge"
    try:
        put = host.run(f"echo from-webroot > {webroot} && mkdir -p {release} && echo from-release > {release}/token-42")
        assert put.rc == 0, put.stderr
        for name in (SITE, "secure.deenify.test"):
            response = request(address, "/.well-known/acme-challenge/token-42", name)
            assert response.status == 200, f"{name}: {response}"
            assert response.text == "from-webroot\n", f"{name}: {response}"
    finally:
        host.run(f"rm -f {webroot} && rm -rf {release}")


def test_tls_follows_mozillas_intermediate_profile(host):
    config = host.file("/etc/nginx/nginx.conf").content_string
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in config, config
    assert "ssl_ecdh_curve X25519:prime256v1:secp384r1;" in config, config
    assert "ssl_session_tickets off;" in config, config
    # TLS 1.1 is refused, TLS 1.2 and 1.3 accepted, and no DHE suite without a dhparam.
    for version, expected in (("-tls1_1", False), ("-tls1_2", True), ("-tls1_3", True)):
        probe = host.run(
            f"openssl s_client {version} -connect 127.0.0.1:443 -servername secure.deenify.test </dev/null"
        )
        assert (probe.rc == 0) is expected, f"{version}: rc={probe.rc} {probe.stdout[-800:]} {probe.stderr[-800:]}"
    dhe = host.run("openssl s_client -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 -connect 127.0.0.1:443 "
                   "-servername secure.deenify.test </dev/null")  # fmt: skip
    assert dhe.rc != 0, dhe.stdout[-800:]


def test_an_unknown_host_name_gets_no_answer(address):
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)) as closed:
        request(address, "/", "attacker.example")
    assert closed.value is not None


def test_a_body_over_the_sites_limit_is_refused(address):
    response = request(address, "/donations", SITE, method="POST", body=b"x" * (2 * 1024 * 1024))
    assert response.status == 413, str(response)


def test_a_burst_of_logins_gets_429(address):
    # 30r/m with a burst of 3: a quick run of 10 gets through at first, then 429.
    statuses = [request(address, "/login", SITE).status for _ in range(10)]
    assert statuses[0] == 200, statuses
    assert statuses.count(429) >= 5, statuses
    # Other paths are not limited.
    assert request(address, "/donations", SITE).status == 200


def test_the_status_server_answers_on_loopback_only(host, address):
    stub = host.run("curl -sS --max-time 5 http://127.0.0.1:8089/nginx-status")
    assert stub.stdout.startswith("Active connections:"), stub.stdout + stub.stderr
    ping = host.run("curl -sS --max-time 5 http://127.0.0.1:8089/php-fpm/deenify/ping")
    assert ping.stdout == "pong", ping.stdout + ping.stderr
    other = host.run("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8089/")
    assert other.stdout == "404", other.stdout + other.stderr
    closed, seen = port_is_closed(address, 8089)
    assert closed, f"the status port answers on {address}: {seen}"


def test_the_preview_serves_the_candidate_release_on_loopback_only(host, address):
    # A deploy checks the release under test here while visitors still get `current`.
    preview = host.run("curl -sS --max-time 5 -H 'Host: deenify.test' http://127.0.0.1:8090/donations/7")
    assert preview.rc == 0, preview.stdout + preview.stderr
    page = json.loads(preview.stdout)
    assert page["release"] == "r2", page
    assert page["document_root"] == "/srv/deenify/releases/r2/public", page
    assert json.loads(request(address, "/", SITE).body)["release"] == "r1"
    closed, seen = port_is_closed(address, 8090)
    assert closed, f"the preview port answers on {address}: {seen}"


def test_each_site_logs_to_its_own_files(host, address):
    request(address, "/donations/logged-here", SITE)
    log = host.file("/var/log/nginx/deenify.access.log").content_string
    assert "GET /donations/logged-here" in log, log[-1500:]
    assert "/donations/logged-here" not in host.file("/var/log/nginx/access.log").content_string
    assert host.file("/var/log/nginx/deenify.error.log").exists


def test_a_value_nginx_refuses_never_reaches_the_server(host, container, address, tmp_path):
    site_file = "/etc/nginx/sites-enabled/deenify.conf"
    before = host.file(site_file).sha256sum
    role_vars = scenario_vars(SCENARIO)
    role_vars["nginx_sites"][0]["server_names"] = [SITE, "*.bad.*"]
    code, output = apply_roles(tmp_path, container, ["nginx"], role_vars, tags="nginx-sites")
    assert code != 0, output[-3000:]
    assert re.search(r'invalid server name or wildcard \\?"\*\.bad\.\*\\?"', output), output[-3000:]
    # The candidate was tested in a copy of /etc/nginx; the message names the real paths.
    assert "configuration file /etc/nginx/nginx.conf test failed" in output, output[-3000:]
    assert host.file(site_file).sha256sum == before, "the refused site file was installed"
    assert request(address, "/still-here", SITE).status == 200


def test_check_on_a_new_host_reports_the_changes_and_makes_none(tmp_path):
    # An operator's first --check --diff of the web tier on a new server: nothing is
    # installed yet, so the checks that need php-fpm or nginx must step aside, not fail.
    name = f"{os.environ['DEENIFY_TEST_NETWORK']}-fresh"
    with fresh_host(name, tmp_path / "fresh") as fresh:
        run = check_run(fresh, SCENARIO / "converge.yml", tmp_path, {})
        assert_check_would_change(run, fresh, at_least=6)
        untouched = testinfra.get_host(f"docker://{fresh}")
        assert not untouched.package("nginx").is_installed, "check mode installed nginx"
        assert not untouched.user("deenify").exists, "check mode created the pool's account"
