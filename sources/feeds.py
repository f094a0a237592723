"""RSS/Atom polling with conditional GET, plus the URL and title keys that make an article one row."""

from __future__ import annotations

import io
import re
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import feedparser
import lxml.html
from lxml.etree import ParserError

from factnlp.text import normalize_for_search

from .fetching import DEFAULT_PORTS, PermanentFetchError, ascii_host, iri_to_uri, safe_request

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
# Click and campaign identifiers: they differ per share, never per article.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "li_fat_id",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_",)
_UNRESERVED_ESCAPE = re.compile(r"%(2[DdEe]|5[Ff]|7[Ee]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa])")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
     "table", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr"}
)  # fmt: skip
_SPACES = re.compile(r"[^\S\n]+")
_NOT_WORD = re.compile(r"[\W_]+")


class FeedParseError(PermanentFetchError):
    """The response is not a usable RSS or Atom document."""


@dataclass(frozen=True)
class FeedEntry:
    """One feed item. ``summary`` and ``content`` are plain text; ``published_at`` is UTC."""

    url: str | None
    title: str
    summary: str
    content: str
    published_at: datetime | None
    guid: str | None

    @property
    def text(self) -> str:
        """The fullest text the feed carries: the content when present, else the summary."""
        return self.content or self.summary


@dataclass(frozen=True)
class FeedFetchResult:
    """Outcome of one poll; store ``etag`` and ``modified`` for the next conditional GET."""

    not_modified: bool
    etag: str | None
    modified: str | None
    entries: tuple[FeedEntry, ...]
    url: str
    title: str = ""
    status: int = 200


def fetch_feed(
    *,
    url: str,
    etag: str | None = None,
    modified: str | None = None,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
) -> FeedFetchResult:
    """Poll a feed; a 304 gives ``not_modified=True`` and no entries.

    Raises the FetchError family from ``safe_request``, or FeedParseError when the body
    is not a feed (an HTML error page served with 200, for instance).
    """
    headers = {"Accept": FEED_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    response = safe_request(
        "GET",
        url,
        allow_private=allow_private,
        timeout=timeout,
        max_bytes=max_bytes,
        headers=headers,
    )
    new_etag = response.header("etag") or etag
    new_modified = response.header("last-modified") or modified
    if response.status == 304:
        return FeedFetchResult(
            not_modified=True,
            etag=new_etag,
            modified=new_modified,
            entries=(),
            url=response.url,
            status=304,
        )
    title, entries = parse_feed(
        content=response.content,
        url=response.url,
        content_type=response.header("content-type"),
    )
    return FeedFetchResult(
        not_modified=False,
        etag=new_etag,
        modified=new_modified,
        entries=entries,
        url=response.url,
        title=title,
        status=response.status,
    )


def parse_feed(*, content: bytes, url: str, content_type: str | None = None) -> tuple[str, tuple[FeedEntry, ...]]:
    """Feed title and entries from raw bytes; ``url`` resolves relative links."""
    response_headers = {"content-location": url}
    if content_type:
        response_headers["content-type"] = content_type
    try:
        # A stream, never a string: feedparser would fetch a string that looks like a URL.
        parsed = feedparser.parse(io.BytesIO(content), response_headers=response_headers)
    except UnicodeError as exc:
        # feedparser skips encodings it does not know, but not codecs that always fail ("undefined").
        raise FeedParseError(f"the feed declares an unusable character encoding ({exc})", url=url) from exc
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedParseError(
            "the response is not an RSS or Atom feed" + (f" ({problem})" if problem else ""),
            url=url,
        )
    entries = tuple(_entry(raw) for raw in parsed.entries)
    return _detail_text(parsed.feed.get("title_detail"), parsed.feed.get("title")), entries


def _entry(raw) -> FeedEntry:
    contents = raw.get("content") or []
    content = max((_detail_text(c) for c in contents), key=len, default="")
    return FeedEntry(
        url=_http_url(raw.get("link")),
        title=_detail_text(raw.get("title_detail"), raw.get("title")),
        summary=_detail_text(raw.get("summary_detail"), raw.get("summary")),
        content=content,
        published_at=_utc(raw.get("published_parsed") or raw.get("updated_parsed")),
        guid=(raw.get("id") or "").replace("\x00", "").strip() or None,
    )


def _http_url(link: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    return link if urlsplit(link).scheme.lower() in DEFAULT_PORTS else None


# Web feeds began in the late 1990s; an entry dated before is a broken date (often the Unix
# epoch, 1970-01-01). Kept, it would put the article before every claim, and so out of the
# evidence for any of them (claims.matching.ClaimOrigin) and out of every backfill window.
EARLIEST_ENTRY_DATE = datetime(1995, 1, 1, tzinfo=UTC)
# A day of slack for clocks and time zones; further ahead is a broken date too.
ENTRY_DATE_FUTURE_SLACK = timedelta(days=1)


def _utc(parsed_time) -> datetime | None:
    # feedparser has already converted the feed's offset to a UTC struct_time.
    if not parsed_time:
        return None
    try:
        value = datetime.fromtimestamp(timegm(parsed_time), tz=UTC)
    except (OverflowError, OSError, ValueError):  # year 0, or past 9999 once in UTC
        return None
    if not EARLIEST_ENTRY_DATE <= value <= datetime.now(UTC) + ENTRY_DATE_FUTURE_SLACK:
        return None
    return value


def _detail_text(detail, fallback: str | None = None) -> str:
    if not detail:
        return _collapse(fallback or "")
    value = detail.get("value") or ""
    if "html" in (detail.get("type") or ""):
        return html_to_text(value)
    return _collapse(value)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, paragraphs on their own lines."""
    html = (html or "").replace("\x00", "")  # lxml refuses strings with NUL
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ParserError, ValueError):
        return _collapse(html)
    for element in root.iter("script", "style", "noscript"):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return _collapse(root.text_content())


def _collapse(text: str) -> str:
    # NUL (feedparser turns "&#0;" into one) cannot be stored in PostgreSQL text.
    text = text.replace("\x00", "").replace("\xa0", " ")
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def normalise_title(title: str) -> str:
    """Spelling-, case- and punctuation-insensitive title key for entries without a URL."""
    folded = normalize_for_search(title or "")
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def canonical_url(url: str) -> str:
    """The form of ``url`` under which an article is stored once.

    Lower-cases scheme and host, drops the fragment, credentials, default port and
    tracking parameters (utm_*, fbclid, gclid, ...), percent-encodes non-ASCII
    characters the same way whether the URL arrived encoded or not, and keeps every
    other query parameter in its original order. Non-http(s) input is returned stripped.
    """
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not hostname:
        return url
    try:
        host = ascii_host(hostname)
    except UnicodeError:
        host = hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise_escapes(iri_to_uri(parts.path)) or "/"
    kept = [pair for pair in parts.query.split("&") if pair and not _is_tracking(pair)]
    query = _normalise_escapes(iri_to_uri("&".join(kept)))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(pair: str) -> bool:
    name = pair.split("=", 1)[0].lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _normalise_escapes(text: str) -> str:
    # %7E and ~ name the same resource (RFC 3986 6.2.2.2); keep the literal character.
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
