"""Safe fetching against real servers on loopback: address rules, redirects, limits, errors."""

from __future__ import annotations

import gzip
import ipaddress
import json
import pickle
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from sources import fetching
from sources.fetching import (
    BlockedAddressError,
    FetchError,
    PermanentFetchError,
    ResponseTooLargeError,
    TransientFetchError,
    UnsupportedSchemeError,
    blocked_address_reason,
    ensure_fetchable_url,
    safe_request,
)
from tests.sources.fixtures.local_server import LocalServer, send

LIMITS = {"timeout": 5.0, "max_bytes": 100_000}
LOOPBACK_ONLY = ("127.0.0.1/32",)


def _ok(handler, seen):
    send(
        handler,
        200,
        "<p>مرحبا</p>".encode(),
        {"Content-Type": "text/html; charset=utf-8"},
    )


def _echo(handler, seen):
    payload = {
        "method": seen.method,
        "body": seen.body.decode(),
        "headers": seen.headers,
    }
    send(handler, 200, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def _redirect(status):
    def route(handler, seen):
        target = seen.path.split("to=", 1)[1]
        send(handler, status, headers={"Location": target})

    return route


def _status(code, headers=None):
    return lambda handler, seen: send(handler, code, b"nope", headers)


def _big_declared(handler, seen):
    send(handler, 200, b"x" * 200_000)


def _big_undeclared(handler, seen):
    # No Content-Length: the client only learns the size by reading.
    handler.close_connection = True
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    for _ in range(50):
        handler.wfile.write(b"y" * 10_000)


def _gzip_bomb(handler, seen):
    send(handler, 200, gzip.compress(b"\0" * 5_000_000), {"Content-Encoding": "gzip"})


def _slow(handler, seen):
    time.sleep(2)
    send(handler, 200, b"late")


def _drip(handler, seen):
    handler.send_response(200)
    handler.send_header("Content-Length", "40")
    handler.end_headers()
    for _ in range(40):
        handler.wfile.write(b"z")
        handler.wfile.flush()
        time.sleep(0.1)


def _chunked(handler, seen):
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for piece in (b"first,", b"second,", b"third"):
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    handler.wfile.write(b"0\r\n\r\n")


def _pdf(handler, seen):
    send(handler, 200, b"%PDF-1.7 " + b"x" * 200_000, {"Content-Type": "Application/PDF"})


ROUTES = {
    "/pdf": _pdf,
    "/chunked": _chunked,
    "/ok": _ok,
    "/echo": _echo,
    "/r301": _redirect(301),
    "/r302": _redirect(302),
    "/r303": _redirect(303),
    "/r307": _redirect(307),
    "/404": _status(404),
    "/410": _status(410),
    "/403": _status(403),
    "/503": _status(503, {"Retry-After": "7"}),
    "/429": _status(429),
    "/big": _big_declared,
    "/big-stream": _big_undeclared,
    "/bomb": _gzip_bomb,
    "/slow": _slow,
    "/drip": _drip,
}


@pytest.fixture(scope="module")
def server():
    with LocalServer("127.0.0.1") as srv:
        srv.routes.update(ROUTES)
        yield srv


@pytest.fixture(scope="module")
def other_server():
    """A second loopback address stands in for an internal service behind a redirect."""
    with LocalServer("127.0.0.2") as srv:
        srv.routes.update(ROUTES)
        yield srv


@pytest.fixture(autouse=True)
def _forget_requests(server, other_server):
    server.requests.clear()
    other_server.requests.clear()


def fake_dns(monkeypatch, table):
    """Route chosen names to chosen addresses through the real ``socket.getaddrinfo``."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            calls.append(host)
            answer = table[host]
            addresses = answer(len(calls)) if callable(answer) else answer
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in addresses
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# --------------------------------------------------------------------------- happy path


def test_loopback_allowed_when_private_networks_are_allowed(server):
    result = safe_request("GET", server.url("/ok"), allow_private=True, **LIMITS)
    assert result.status == 200
    assert result.text == "<p>مرحبا</p>"
    assert result.encoding == "utf-8"
    assert result.header("Content-Type").startswith("text/html")
    assert result.url == server.url("/ok")
    assert 0 < result.elapsed < 5


def test_chunked_body_is_read_completely(server):
    result = safe_request("GET", server.url("/chunked"), allow_private=True, **LIMITS)
    assert result.content == b"first,second,third"


def test_host_header_and_user_agent_are_sent(server, monkeypatch):
    fake_dns(monkeypatch, {"news.example": ["127.0.0.1"]})
    result = safe_request(
        "GET",
        server.url("/echo", host="news.example"),
        allow_private=True,
        user_agent="probe/1",
        **LIMITS,
    )
    seen = json.loads(result.content)["headers"]
    assert seen["host"] == f"news.example:{server.port}"
    assert seen["user-agent"] == "probe/1"


def test_arabic_path_is_percent_encoded(server):
    result = safe_request("GET", server.url("/echo?q=خبر"), allow_private=True, **LIMITS)
    assert result.status == 200
    assert server.requests[-1].path == "/echo?q=%D8%AE%D8%A8%D8%B1"


# --------------------------------------------------------------------------- address rules


def test_loopback_blocked_when_private_networks_are_not_allowed(server):
    with pytest.raises(BlockedAddressError) as info:
        safe_request("GET", server.url("/ok"), allow_private=False, **LIMITS)
    assert "127.0.0.1" in info.value.reason and "loopback" in info.value.reason
    assert isinstance(info.value, PermanentFetchError)
    assert server.requests == []


def test_numeric_loopback_spelling_is_blocked(server):
    # 2130706433 == 127.0.0.1; the check runs on the resolved address, not the spelling.
    with pytest.raises(BlockedAddressError):
        safe_request("GET", f"http://2130706433:{server.port}/ok", allow_private=False, **LIMITS)
    assert server.requests == []


def test_hostname_resolving_to_private_address_is_blocked(monkeypatch):
    fake_dns(monkeypatch, {"intranet.example": ["10.1.2.3"]})
    with pytest.raises(BlockedAddressError, match="10.1.2.3"):
        safe_request("GET", "http://intranet.example/", allow_private=False, **LIMITS)


def test_every_resolved_address_is_checked(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example": ["93.184.216.34", "192.168.1.10"]})
    with pytest.raises(BlockedAddressError, match="192.168.1.10"):
        safe_request("GET", "http://mixed.example/", allow_private=False, **LIMITS)


def test_metadata_address_blocked_even_via_ipv6_mapping(monkeypatch):
    fake_dns(monkeypatch, {"meta.example": ["::ffff:169.254.169.254"]})
    with pytest.raises(BlockedAddressError, match="link-local"):
        safe_request("GET", "http://meta.example/latest", allow_private=False, **LIMITS)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "fc00::5",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "fec0::1",
    ],
)
def test_non_public_addresses_are_classified_blocked(address):
    assert blocked_address_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_are_allowed(address):
    assert blocked_address_reason(ipaddress.ip_address(address)) is None


def test_connection_goes_to_the_checked_address_not_a_second_lookup(server, monkeypatch):
    # A rebinding DNS answers a permitted address first, then an internal one; a second
    # lookup by the HTTP client would reach 127.0.0.2 (refused) instead of the checked address.
    calls = fake_dns(
        monkeypatch,
        {"rebind.example": lambda n: ["127.0.0.1"] if n == 1 else ["127.0.0.2"]},
    )
    url = f"http://rebind.example:{server.port}/ok"
    result = safe_request("GET", url, allow_private=False, allowed_networks=LOOPBACK_ONLY, **LIMITS)
    assert result.status == 200
    assert calls == ["rebind.example"]
    assert len(server.requests) == 1


def test_redirect_to_internal_address_is_blocked(server, other_server):
    # The first hop is permitted (as a public site would be); the redirect points inside.
    inner = other_server.url("/ok")
    with pytest.raises(BlockedAddressError, match="127.0.0.2"):
        safe_request(
            "GET",
            server.url(f"/r302?to={inner}"),
            allow_private=False,
            allowed_networks=LOOPBACK_ONLY,
            **LIMITS,
        )
    assert len(server.requests) == 1
    assert other_server.requests == []


def test_redirect_to_hostname_of_metadata_service_is_blocked(server, monkeypatch):
    fake_dns(monkeypatch, {"metadata.internal": ["169.254.169.254"]})
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        safe_request(
            "GET",
            server.url("/r301?to=http://metadata.internal/latest/meta-data/"),
            allow_private=False,
            allowed_networks=LOOPBACK_ONLY,
            **LIMITS,
        )


def test_redirect_to_unsupported_scheme_is_refused(server):
    with pytest.raises(UnsupportedSchemeError):
        safe_request(
            "GET",
            server.url("/r302?to=file:///etc/passwd"),
            allow_private=True,
            **LIMITS,
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com",
        "example.com/no-scheme",
        "http://user:pw@example.com/",
    ],
)
def test_unsupported_urls_are_permanent_errors(url):
    with pytest.raises(UnsupportedSchemeError) as info:
        safe_request("GET", url, allow_private=False, **LIMITS)
    assert isinstance(info.value, PermanentFetchError) and info.value.reason


def test_ensure_fetchable_url_checks_without_sending(server, monkeypatch):
    fake_dns(monkeypatch, {"hooks.example": ["10.9.9.9"]})
    with pytest.raises(BlockedAddressError):
        ensure_fetchable_url(url="https://hooks.example/in", allow_private=False)
    ensure_fetchable_url(url="https://hooks.example/in", allow_private=True)
    ensure_fetchable_url(url=server.url("/ok"), allow_private=False, allowed_networks=LOOPBACK_ONLY)
    assert server.requests == []


# --------------------------------------------------------------------------- redirects


def test_redirects_are_followed_and_recorded(server):
    start = server.url(f"/r301?to={server.url('/ok')}")
    result = safe_request("GET", start, allow_private=True, **LIMITS)
    assert result.url == server.url("/ok")
    assert result.redirects == (start,)


def test_relative_redirect_is_resolved(server):
    result = safe_request("GET", server.url("/r302?to=/ok"), allow_private=True, **LIMITS)
    assert result.url == server.url("/ok")


def test_too_many_redirects(server):
    loop = server.url("/r302?to=" + server.url("/r302?to=" + server.url("/ok")))
    with pytest.raises(PermanentFetchError, match="redirects"):
        safe_request("GET", loop, allow_private=True, max_redirects=1, **LIMITS)


@pytest.mark.parametrize(
    "route, method",
    [("/r303", "GET"), ("/r302", "GET"), ("/r301", "GET"), ("/r307", "POST")],
)
def test_post_redirect_method_semantics(server, route, method):
    result = safe_request(
        "POST",
        server.url(f"{route}?to=/echo"),
        allow_private=True,
        body=b"payload",
        headers={"Content-Type": "text/plain"},
        **LIMITS,
    )
    echoed = json.loads(result.content)
    assert echoed["method"] == method
    assert echoed["body"] == ("payload" if method == "POST" else "")
    assert ("content-type" in echoed["headers"]) == (method == "POST")


def test_credentials_are_not_forwarded_to_another_origin(server, other_server):
    result = safe_request(
        "GET",
        server.url(f"/r302?to={other_server.url('/echo')}"),
        allow_private=True,
        headers={"Authorization": "Bearer secret", "X-Trace": "1"},
        **LIMITS,
    )
    echoed = json.loads(result.content)["headers"]
    assert "authorization" not in echoed
    assert echoed["x-trace"] == "1"
    assert server.requests[0].headers["authorization"] == "Bearer secret"


# --------------------------------------------------------------------------- limits and status codes


@pytest.mark.parametrize("route", ["/big", "/big-stream", "/bomb"])
def test_body_size_limit(server, route):
    with pytest.raises(ResponseTooLargeError, match="100000"):
        safe_request("GET", server.url(route), allow_private=True, **LIMITS)


def test_body_at_the_limit_is_accepted(server):
    result = safe_request("GET", server.url("/big"), allow_private=True, timeout=5, max_bytes=200_000)
    assert len(result.content) == 200_000


def test_slow_server_times_out_as_transient(server):
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="timed out"):
        safe_request("GET", server.url("/slow"), allow_private=True, timeout=0.5, max_bytes=1000)
    assert time.monotonic() - started < 1.5


def test_trickling_server_hits_the_total_time_limit(server):
    # Each byte arrives well within a per-read timeout; only a total deadline stops it.
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="timed out"):
        safe_request("GET", server.url("/drip"), allow_private=True, timeout=0.5, max_bytes=1000)
    assert time.monotonic() - started < 1.2


@pytest.mark.parametrize("route, status", [("/404", 404), ("/410", 410), ("/403", 403)])
def test_client_errors_are_permanent(server, route, status):
    with pytest.raises(PermanentFetchError) as info:
        safe_request("GET", server.url(route), allow_private=True, **LIMITS)
    assert info.value.status == status
    assert str(status) in info.value.reason


def test_503_is_transient_with_retry_after(server):
    with pytest.raises(TransientFetchError) as info:
        safe_request("GET", server.url("/503"), allow_private=True, **LIMITS)
    assert info.value.status == 503
    assert info.value.retry_after == 7.0


def test_429_is_transient(server):
    with pytest.raises(TransientFetchError):
        safe_request("GET", server.url("/429"), allow_private=True, **LIMITS)


def test_status_can_be_returned_instead_of_raised(server):
    result = safe_request("GET", server.url("/503"), allow_private=True, raise_for_status=False, **LIMITS)
    assert result.status == 503 and result.content == b"nope"


def test_connection_refused_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(TransientFetchError):
        safe_request("GET", f"http://127.0.0.1:{port}/", allow_private=True, **LIMITS)


def test_unknown_host_is_permanent(monkeypatch):
    def no_such_host(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(PermanentFetchError, match="does not exist"):
        safe_request("GET", "http://nowhere.invalid/", allow_private=False, **LIMITS)


def test_temporary_dns_failure_is_transient(monkeypatch):
    def dns_down(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", dns_down)
    with pytest.raises(TransientFetchError, match="temporarily"):
        safe_request("GET", "http://flaky.example/", allow_private=False, **LIMITS)


def test_errors_survive_pickling_for_celery():
    error = TransientFetchError("server answered HTTP 503", url="http://x", status=503, retry_after=3.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is TransientFetchError
    assert (copy.reason, copy.url, copy.status, copy.retry_after) == (
        "server answered HTTP 503",
        "http://x",
        503,
        3.0,
    )
    assert isinstance(pickle.loads(pickle.dumps(BlockedAddressError("no"))), FetchError)


# --------------------------------------------------------------------------- TLS by address


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=feed.example",
            "-addext",
            "subjectAltName=DNS:feed.example",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with LocalServer("127.0.0.1", tls_context=context) as srv:
        srv.routes["/ok"] = _ok
        srv.ca_file = str(cert)
        yield srv


def test_tls_verifies_the_hostname_while_connecting_by_address(tls_server, monkeypatch):
    monkeypatch.setattr(fetching, "CA_BUNDLE", tls_server.ca_file)
    fake_dns(monkeypatch, {"feed.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    result = safe_request(
        "GET",
        tls_server.url("/ok", host="feed.example"),
        allow_private=False,
        allowed_networks=LOOPBACK_ONLY,
        **LIMITS,
    )
    assert result.status == 200
    assert tls_server.sni_names[-1] == "feed.example"
    with pytest.raises(PermanentFetchError, match="TLS"):
        safe_request(
            "GET",
            tls_server.url("/ok", host="other.example"),
            allow_private=True,
            **LIMITS,
        )


def test_tls_rejects_untrusted_certificate(tls_server, monkeypatch):
    fake_dns(monkeypatch, {"feed.example": ["127.0.0.1"]})
    with pytest.raises(PermanentFetchError, match="TLS"):
        safe_request(
            "GET",
            tls_server.url("/ok", host="feed.example"),
            allow_private=True,
            **LIMITS,
        )


def test_a_body_of_a_type_not_accepted_is_refused_before_it_is_read(server):
    # Read whole, the 200 kB body would hit the 100 kB limit first.
    with pytest.raises(PermanentFetchError, match="not a web page: the server sent application/pdf"):
        safe_request("GET", server.url("/pdf"), allow_private=True, accept_types=("text/*",), **LIMITS)

    page = safe_request("GET", server.url("/ok"), allow_private=True, accept_types=("text/*",), **LIMITS)
    assert "مرحبا" in page.text  # text/html; charset=utf-8 matches text/*
    with pytest.raises(PermanentFetchError, match="not a web page"):
        safe_request("GET", server.url("/ok"), allow_private=True, accept_types=("application/xml",), **LIMITS)
    # Redirects and error pages are not judged by their type.
    moved = safe_request(
        "GET", server.url(f"/r302?to={server.url('/ok')}"), allow_private=True, accept_types=("text/html",), **LIMITS
    )
    assert moved.status == 200
