"""Hostile servers and documents: slow headers, odd redirects, unusable charsets, extreme dates and sizes."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from sources.extraction import ExtractionError, extract_article
from sources.feeds import FeedParseError, parse_feed
from sources.fetching import (
    FetchResult,
    PermanentFetchError,
    TransientFetchError,
    UnsupportedSchemeError,
    safe_request,
)
from tests.sources.fixtures.local_server import LocalServer, send

ARTICLE_EN = (Path(__file__).parent / "fixtures" / "article_en.html").read_bytes()


def _trickled_headers(handler, seen):
    # Each line comes well within the per-read timeout; together they never end.
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for number in range(40):
        handler.wfile.write(b"X-Filler-%d: a\r\n" % number)
        handler.wfile.flush()
        time.sleep(0.2)
    handler.wfile.write(b"Content-Length: 0\r\n\r\n")


def _trickled_status_line(handler, seen):
    for byte in b"HTTP/1.1 200 OK, eventually, after a very long reason phrase\r\n":
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.2)


def _redirect_to(location):
    return lambda handler, seen: send(handler, 302, headers={"Location": location})


@pytest.fixture(scope="module")
def server():
    with LocalServer("127.0.0.1") as srv:
        srv.routes["/trickled-headers"] = _trickled_headers
        srv.routes["/trickled-status"] = _trickled_status_line
        srv.routes["/to-bracketed-ipv4"] = _redirect_to("http://[127.0.0.1]/ok")
        srv.routes["/to-bad-ipv6"] = _redirect_to("http://[::1/ok")
        yield srv


@pytest.mark.parametrize("route", ["/trickled-headers", "/trickled-status"])
def test_server_trickling_its_headers_hits_the_total_time_limit(server, route):
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="timed out"):
        safe_request("GET", server.url(route), allow_private=True, timeout=1.0, max_bytes=10_000)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("route", ["/to-bracketed-ipv4", "/to-bad-ipv6"])
def test_redirect_to_an_unparseable_url_is_a_permanent_error(server, route):
    with pytest.raises(UnsupportedSchemeError):
        safe_request("GET", server.url(route), allow_private=True, timeout=5.0, max_bytes=10_000)


def test_connection_refused_says_so_rather_than_timed_out():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientFetchError, match="could not connect"):
        safe_request("GET", f"http://127.0.0.1:{port}/", allow_private=True, timeout=5.0, max_bytes=10_000)


@pytest.mark.parametrize("host", ["news..example", "a" * 64 + ".example"])
def test_malformed_host_name_is_permanent(host):
    with pytest.raises(PermanentFetchError) as info:
        safe_request("GET", f"http://{host}/", allow_private=False, timeout=5.0, max_bytes=10_000)
    assert not isinstance(info.value, TransientFetchError)


# --------------------------------------------------------------------------- charsets


@pytest.mark.parametrize("charset", ["undefined", "idna"])
def test_charset_label_of_an_unusable_codec_is_ignored(charset):
    article = extract_article(html=ARTICLE_EN, url="https://world.example/a", encoding=charset)
    assert article.title == "CSTO peacekeepers complete withdrawal from Kazakhstan"
    result = FetchResult(
        url="https://x.example/", status=200, headers={}, content=b"caf\xc3\xa9", encoding=charset, elapsed=0
    )
    assert result.text == "café"


@pytest.mark.parametrize(
    "content_type, declaration",
    [("application/rss+xml; charset=undefined", ""), ("application/rss+xml", ' encoding="undefined"')],
)
def test_feed_with_an_unusable_encoding_is_a_parse_error(content_type, declaration):
    feed = f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>T</title></channel></rss>'
    with pytest.raises(FeedParseError):
        parse_feed(content=feed.encode(), url="https://news.example/rss", content_type=content_type)


# --------------------------------------------------------------------------- feed contents


@pytest.mark.parametrize(
    "updated",
    ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"],
)
def test_entry_date_outside_what_python_can_hold_is_dropped(updated):
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        f'<entry><title>x</title><link href="https://a.example/1"/><updated>{updated}</updated></entry></feed>'
    )
    _title, (entry,) = parse_feed(content=atom.encode(), url="https://a.example/feed")
    assert entry.published_at is None
    assert entry.url == "https://a.example/1"


def test_nul_characters_never_reach_entry_text():
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T&#0;</title>'
        "<item><title>a&#0;b</title><description>x&#0;y</description><guid>g&#0;1</guid></item>"
        "</channel></rss>"
    )
    title, (entry,) = parse_feed(content=rss.encode(), url="https://a.example/feed")
    assert "\x00" not in title + entry.title + entry.summary + entry.content + (entry.guid or "")
    assert entry.title == "ab"


# --------------------------------------------------------------------------- extraction cost


def test_page_of_many_short_blocks_is_extracted_in_bounded_time():
    # jusText, trafilatura's fallback, is quadratic in the number of short blocks: 8,000 small
    # tables (430 kB) took about 30 s, a 5 MB page of them most of an hour.
    tables = b"<table><tr><td>cell a</td><td>cell b</td></tr></table>" * 8_000
    started = time.monotonic()
    try:
        extract_article(html=b"<html><body>" + tables + b"</body></html>", url="https://x.example/t")
    except ExtractionError:
        pass  # not an article either way; what matters is how long it took to decide
    assert time.monotonic() - started < 10
