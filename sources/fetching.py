"""SSRF-safe HTTP(S) requests: address checks on every hop, size and time limits, retry-aware errors.

Plain Python (no Django): callers pass ``allow_private`` from the
``FETCH_ALLOW_PRIVATE_NETWORKS`` setting. Used for article pages, feeds and webhook deliveries.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

try:  # certifi ships a current CA bundle; without it urllib3 falls back to the system store.
    import certifi

    CA_BUNDLE: str | None = certifi.where()
except ImportError:  # pragma: no cover
    CA_BUNDLE = None

DEFAULT_USER_AGENT = "factcheck-tracker/1.0 (+claim follow-up fetcher)"
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 500 is included because origin crashes are usually temporary; the rest of 4xx/5xx are not.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_CHUNK_SIZE = 64 * 1024
# Headers that must not follow a redirect to another origin (credential leaks).
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_NOT_GLOBAL_EXTRA = (
    ipaddress.ip_network("0.0.0.0/8"),
    ipaddress.ip_network("100.64.0.0/10"),
)


# --------------------------------------------------------------------------- errors


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is a sentence for editors and logs."""

    def __init__(
        self,
        reason: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status
        self.retry_after = retry_after

    def __reduce__(
        self,
    ):  # keyword-only init: keep the error picklable for Celery backends
        return (
            _rebuild_error,
            (type(self), self.reason, self.url, self.status, self.retry_after),
        )

    def __str__(self) -> str:
        return self.reason


def _rebuild_error(cls, reason, url, status, retry_after):
    return cls(reason, url=url, status=status, retry_after=retry_after)


class TransientFetchError(FetchError):
    """Worth retrying later: timeouts, resets, DNS hiccups, HTTP 408/425/429/500/502/503/504."""


class PermanentFetchError(FetchError):
    """Retrying will not help: bad URL, blocked address, 404/410/other 4xx, oversize body."""


class UnsupportedSchemeError(PermanentFetchError):
    """The URL is not http(s) (or is otherwise unusable)."""


class BlockedAddressError(PermanentFetchError):
    """The host resolves to a private, loopback, link-local or otherwise non-public address."""


class ResponseTooLargeError(PermanentFetchError):
    """The response body exceeds ``max_bytes``."""


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class FetchResult:
    """A completed request. ``headers`` keys are lower-case; ``elapsed`` is in seconds."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    encoding: str | None
    elapsed: float
    redirects: tuple[str, ...] = field(default=())

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def text(self) -> str:
        """Body decoded with the declared charset (UTF-8 when none is declared or it is unusable)."""
        try:
            return self.content.decode(self.encoding or "utf-8", errors="replace")
        except (LookupError, UnicodeError):  # "undefined" and "idna" fail whatever the error handler
            return self.content.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- addresses


def blocked_address_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted from a server, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_address_reason(embedded)
            return f"{inner} (embedded in {ip})" if inner else None
        if ip.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    )
    for label, hit in checks:
        if hit:
            return label
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _IPV4_NOT_GLOBAL_EXTRA):
        return "not publicly routable"
    if not ip.is_global:
        return "not publicly routable"
    return None


def _parse_ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver returns for ``host`` (order kept, duplicates dropped)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


def resolve_and_check(
    *,
    host: str,
    port: int,
    allow_private: bool,
    allowed_networks: Iterable[str] = (),
    resolver: Resolver | None = None,
    url: str | None = None,
) -> list[str]:
    """Resolve ``host`` once and return its addresses if every one of them may be contacted.

    All addresses are checked, not just the first: a name that resolves to one public
    and one private address would otherwise reach the private one on a retry.
    """
    resolve = resolver or system_resolver
    try:
        addresses = list(resolve(host, port))
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_AGAIN,):
            raise TransientFetchError(f"DNS lookup for {host} failed temporarily", url=url) from exc
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            raise PermanentFetchError(f"host {host} does not exist", url=url) from exc
        raise TransientFetchError(f"DNS lookup for {host} failed: {exc}", url=url) from exc
    except UnicodeError as exc:  # an empty or over-long label: the name can never resolve
        raise PermanentFetchError(f"invalid host name {host!r}", url=url) from exc
    except OSError as exc:
        raise TransientFetchError(f"DNS lookup for {host} failed: {exc}", url=url) from exc
    if not addresses:
        raise PermanentFetchError(f"host {host} has no addresses", url=url)
    if allow_private:
        return addresses
    exceptions = [ipaddress.ip_network(net, strict=False) for net in allowed_networks]
    for address in addresses:
        ip = _parse_ip(address)
        if any(ip.version == net.version and ip in net for net in exceptions):
            continue
        why = blocked_address_reason(ip)
        if why:
            raise BlockedAddressError(
                f"{host} resolves to {address}, a {why} address; fetching it is not allowed",
                url=url,
            )
    return addresses


# --------------------------------------------------------------------------- URLs

_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# RFC 3986 reserved + unreserved characters and '%', i.e. everything that may already be in a URI.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def iri_to_uri(text: str) -> str:
    """Percent-encode non-ASCII characters (Arabic paths, queries) and upper-case escapes."""
    quoted = quote(text, safe=_URI_SAFE)
    return _PERCENT_ESCAPE.sub(lambda m: "%" + m.group(1).upper(), quoted)


def ascii_host(host: str) -> str:
    """Lower-case host in its ASCII (punycode) form."""
    host = host.rstrip(".").lower()
    try:
        host.encode("ascii")
        return host
    except UnicodeEncodeError:
        return host.encode("idna").decode("ascii")


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII host, IPv6 without brackets
    port: int
    request_target: str  # path + query, ASCII

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _parse_target(url: str) -> _Target:
    try:
        parts: SplitResult = urlsplit(url.strip())
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise UnsupportedSchemeError(f"invalid URL {url!r}: {exc}", url=url) from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsupportedSchemeError(
            f"only http and https URLs can be fetched, not {scheme or 'a scheme-less URL'}",
            url=url,
        )
    if not hostname:
        raise UnsupportedSchemeError(f"URL {url!r} has no host", url=url)
    if parts.username is not None or parts.password is not None:
        raise UnsupportedSchemeError("URLs with embedded credentials are not fetched", url=url)
    try:
        host = ascii_host(hostname)
    except UnicodeError as exc:
        raise UnsupportedSchemeError(f"invalid host name {hostname!r}", url=url) from exc
    path = iri_to_uri(parts.path or "/")
    query = iri_to_uri(parts.query)
    request_target = f"{path}?{query}" if query else path
    return _Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or DEFAULT_PORTS[scheme],
        request_target=request_target,
    )


# --------------------------------------------------------------------------- request


class _Deadline:
    """The time left for a whole request; when it runs out, the socket in use is shut down.

    Socket timeouts apply to each read, so a server sending its status line and headers a
    byte at a time could otherwise hold a worker for hours; shutting the socket down ends
    whatever read is waiting, in http.client's header parsing as in the body loop.
    """

    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.expires = self.started + seconds
        self.total = seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        self._socket = sock

    def _expire(self) -> None:
        self.expired = True
        if self._socket is not None:
            # socket.socket's own shutdown, not SSLSocket's, which would also drop its TLS
            # state under the thread reading from it. A socket closed meanwhile raises OSError.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def remaining(self, url: str) -> float:
        left = self.expires - time.monotonic()
        if left <= 0 or self.expired:
            raise TransientFetchError(f"timed out after {self.total:g} s", url=url)
        return left

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class _WatchedConnection:
    """Hands each new socket to the request's deadline."""

    def __init__(self, *args, deadline: _Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self._deadline.watch(self.sock)


class _WatchedHTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


def _open_pool(target: _Target, address: str, deadline: _Deadline) -> urllib3.HTTPConnectionPool:
    # The pool connects to the already-checked address, never to the name, so a DNS answer
    # that changes between check and connect (rebinding) cannot redirect the socket;
    # SNI and certificate checks still use the host name.
    timeout = deadline.remaining(target.url)
    common = {
        "host": address,
        "port": target.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
        "block": False,
        "deadline": deadline,  # passed on to each connection
    }
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **common,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=CA_BUNDLE,
        )
        pool.ConnectionCls = _WatchedHTTPSConnection
        return pool
    pool = urllib3.HTTPConnectionPool(**common)
    pool.ConnectionCls = _WatchedHTTPConnection
    return pool


def _send(
    *,
    target: _Target,
    addresses: Sequence[str],
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: _Deadline,
) -> tuple[urllib3.HTTPConnectionPool, urllib3.BaseHTTPResponse]:
    last_error: Exception | None = None
    for address in addresses:
        pool = _open_pool(target, address, deadline)
        try:
            response = pool.urlopen(
                method,
                target.request_target,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=True,
            )
            return pool, response
        except (NewConnectionError, ConnectTimeoutError) as exc:
            # Nothing was sent yet, so trying the host's next address is safe.
            pool.close()
            last_error = exc
            continue
        except BaseException:
            pool.close()
            raise
    raise last_error or TransientFetchError("no address to connect to", url=target.url)


def _read_body(response: urllib3.BaseHTTPResponse, *, max_bytes: int, deadline: _Deadline, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    # A compressed body's length says little about its decoded size, so only trust identity.
    encoded = bool(response.headers.get("content-encoding"))
    if declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise ResponseTooLargeError(
            f"response is {int(declared)} bytes, more than the {max_bytes}-byte limit",
            url=url,
        )
    chunks: list[bytes] = []
    size = 0
    while True:
        # Each read gets only the time left overall, so a server that trickles bytes
        # cannot keep the worker busy past the total limit.
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(deadline.remaining(url))
        chunk = response.read1(_CHUNK_SIZE, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLargeError(f"response body exceeds the {max_bytes}-byte limit", url=url)
        chunks.append(chunk)
        deadline.remaining(url)
    # A socket shut down by the deadline reads as the end of a body without Content-Length.
    deadline.remaining(url)
    return b"".join(chunks)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1).lower() if match else None


def _check_media_type(content_type: str | None, accepted: Sequence[str], *, url: str) -> None:
    """Refuse a declared media type outside ``accepted`` (a missing one is let through)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if not media_type:
        return
    for wanted in accepted:
        if media_type == wanted or (wanted.endswith("/*") and media_type.startswith(wanted[:-1])):
            return
    raise PermanentFetchError(f"not a web page: the server sent {media_type}", url=url)


def _status_error(status: int, url: str, headers: Mapping[str, str]) -> FetchError:
    if status in TRANSIENT_STATUSES:
        return TransientFetchError(
            f"server answered HTTP {status}; try again later",
            url=url,
            status=status,
            retry_after=_retry_after_seconds(headers.get("retry-after")),
        )
    return PermanentFetchError(f"server answered HTTP {status}", url=url, status=status)


def _translate_transport_error(exc: Exception, url: str, deadline: _Deadline) -> FetchError:
    # NewConnectionError subclasses ConnectTimeoutError: a refused connection is no timeout.
    if isinstance(exc, NewConnectionError) and not deadline.expired:
        return TransientFetchError(f"could not connect: {exc}", url=url)
    if deadline.expired or isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, TimeoutError, socket.timeout)):
        return TransientFetchError(f"timed out after {deadline.total:g} s", url=url)
    if isinstance(exc, SSLError):
        return PermanentFetchError(f"TLS failed: {exc}", url=url)
    if isinstance(exc, ProtocolError):
        return TransientFetchError(f"connection broken: {exc}", url=url)
    if isinstance(exc, DecodeError):
        return PermanentFetchError(f"could not decode the response body: {exc}", url=url)
    if isinstance(exc, LocationParseError):
        return UnsupportedSchemeError(f"invalid URL: {exc}", url=url)
    return TransientFetchError(f"request failed: {exc}", url=url)


def safe_request(
    method: str,
    url: str,
    *,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    max_redirects: int = 5,
    user_agent: str = DEFAULT_USER_AGENT,
    raise_for_status: bool = True,
    allowed_networks: Iterable[str] = (),
    resolver: Resolver | None = None,
    accept_types: Sequence[str] = (),
) -> FetchResult:
    """Perform one HTTP(S) request with SSRF protection, following redirects by hand.

    - ``allow_private``: skip the address check (tests, local demos); production passes False.
    - ``timeout``: seconds for the whole exchange (DNS excepted), redirects included.
    - ``max_bytes``: limit on the decoded body; reading stops as soon as it is exceeded.
    - ``raise_for_status``: when True (default) 4xx/5xx raise Transient/PermanentFetchError;
      webhook delivery passes False to record the status instead. 2xx and 304 always return.
    - ``allowed_networks``: CIDRs allowed even when private (an intranet feed you trust).
    - ``resolver``: ``(host, port) -> [address, ...]``; defaults to ``getaddrinfo``.
    - ``accept_types``: media types a 2xx body may have ("text/html"; "text/*" for any text);
      another declared type is refused before the body is read. Empty: any type.
    """
    method = method.upper()
    allowed_networks = tuple(allowed_networks)
    request_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
    lower_names = {k.lower() for k in request_headers}
    if "user-agent" not in lower_names:
        request_headers["User-Agent"] = user_agent
    if "accept-encoding" not in lower_names:
        request_headers["Accept-Encoding"] = "gzip, deflate"
    current_url = url
    history: list[str] = []
    previous_origin: tuple[str, str, int] | None = None

    with _Deadline(timeout) as deadline:
        while True:
            target = _parse_target(current_url)
            if previous_origin is not None and target.origin != previous_origin:
                request_headers = {k: v for k, v in request_headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}
            addresses = resolve_and_check(
                host=target.host,
                port=target.port,
                allow_private=allow_private,
                allowed_networks=allowed_networks,
                resolver=resolver,
                url=current_url,
            )
            pool = response = None
            try:
                pool, response = _send(
                    target=target,
                    addresses=addresses,
                    method=method,
                    headers={**request_headers, "Host": target.host_header},
                    body=body,
                    deadline=deadline,
                )
                status = response.status
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                location = response_headers.get("location")
                if status in REDIRECT_STATUSES and location:
                    if len(history) >= max_redirects:
                        raise PermanentFetchError(
                            f"more than {max_redirects} redirects",
                            url=current_url,
                            status=status,
                        )
                    history.append(current_url)
                    previous_origin = target.origin
                    try:
                        current_url = urljoin(current_url, location.strip())
                    except ValueError as exc:  # "http://[127.0.0.1]/", an unclosed "[::1"
                        raise UnsupportedSchemeError(
                            f"redirect to an invalid URL {location!r}: {exc}", url=current_url
                        ) from exc
                    # Browsers turn a redirected POST into a GET (303 always, 301/302 for POST);
                    # 307/308 must repeat the request unchanged.
                    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                        method = "GET"
                        body = None
                        request_headers = {k: v for k, v in request_headers.items() if k.lower() not in _BODY_HEADERS}
                    continue
                if raise_for_status and status >= 400:
                    raise _status_error(status, current_url, response_headers)
                if accept_types and status < 300:
                    _check_media_type(response_headers.get("content-type"), accept_types, url=current_url)
                content = _read_body(response, max_bytes=max_bytes, deadline=deadline, url=current_url)
                return FetchResult(
                    url=current_url,
                    status=status,
                    headers=MappingProxyType(response_headers),
                    content=content,
                    encoding=_charset(response_headers.get("content-type")),
                    elapsed=deadline.elapsed(),
                    redirects=tuple(history),
                )
            except FetchError:
                raise
            except (HTTPError, OSError) as exc:
                raise _translate_transport_error(exc, current_url, deadline) from exc
            finally:
                if response is not None:
                    response.close()
                if pool is not None:
                    pool.close()


def ensure_fetchable_url(
    *,
    url: str,
    allow_private: bool,
    allowed_networks: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> None:
    """Raise the FetchError ``safe_request`` would raise for ``url`` before sending anything.

    Meant for validating user input early (article URLs, webhook targets); the check is
    repeated at request time because DNS answers change.
    """
    target = _parse_target(url)
    resolve_and_check(
        host=target.host,
        port=target.port,
        allow_private=allow_private,
        allowed_networks=allowed_networks,
        resolver=resolver,
        url=url,
    )
