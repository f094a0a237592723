"""Feed polling over real loopback HTTP, entry parsing, and the keys that deduplicate articles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.feeds import FeedParseError, canonical_url, fetch_feed, normalise_title, parse_feed
from sources.fetching import BlockedAddressError, PermanentFetchError
from tests.sources.fixtures.local_server import LocalServer, send

FIXTURES = Path(__file__).parent / "fixtures"
RSS = (FIXTURES / "feed_rss.xml").read_bytes()
ATOM = (FIXTURES / "feed_atom.xml").read_bytes()
ETAG = '"rss-v1"'
LAST_MODIFIED = "Tue, 11 Jan 2022 10:00:00 GMT"
LIMITS = {"timeout": 5.0, "max_bytes": 1_000_000}


def _conditional_rss(handler, seen):
    if seen.headers.get("if-none-match") == ETAG or seen.headers.get("if-modified-since") == LAST_MODIFIED:
        send(handler, 304, headers={"ETag": ETAG})
        return
    send(
        handler,
        200,
        RSS,
        {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": ETAG, "Last-Modified": LAST_MODIFIED},
    )


@pytest.fixture(scope="module")
def server():
    with LocalServer("127.0.0.1") as srv:
        srv.routes["/rss"] = _conditional_rss
        srv.routes["/atom"] = lambda h, s: send(h, 200, ATOM, {"Content-Type": "application/atom+xml"})
        srv.routes["/html"] = lambda h, s: send(
            h, 200, b"<html><body><h1>Service unavailable</h1></body></html>", {"Content-Type": "text/html"}
        )
        yield srv


def test_first_poll_returns_entries_and_validators(server):
    result = fetch_feed(url=server.url("/rss"), allow_private=True, **LIMITS)
    assert not result.not_modified
    assert result.etag == ETAG and result.modified == LAST_MODIFIED
    assert result.title == "أخبار المنطقة - سياسة"
    assert [e.title for e in result.entries] == [
        "بوتين: القوات ستغادر كازاخستان بعد إنجاز مهمتها",
        "توكاييف: انسحاب القوات يبدأ قريباً",
        "موجز: اجتماع طارئ لوزراء الخارجية",
    ]
    seen = server.requests[-1].headers
    assert "if-none-match" not in seen and "if-modified-since" not in seen


@pytest.mark.parametrize(
    "validators", [{"etag": ETAG}, {"modified": LAST_MODIFIED}, {"etag": ETAG, "modified": LAST_MODIFIED}]
)
def test_conditional_get_gives_not_modified(server, validators):
    result = fetch_feed(url=server.url("/rss"), allow_private=True, **validators, **LIMITS)
    assert result.not_modified and result.entries == ()
    assert result.etag == ETAG
    seen = server.requests[-1].headers
    assert seen.get("if-none-match") == validators.get("etag")
    assert seen.get("if-modified-since") == validators.get("modified")


def test_stale_etag_gets_the_full_feed(server):
    result = fetch_feed(url=server.url("/rss"), etag='"old"', allow_private=True, **LIMITS)
    assert not result.not_modified and len(result.entries) == 3


def test_feed_on_loopback_is_blocked_without_private_networks(server):
    server.requests.clear()
    with pytest.raises(BlockedAddressError):
        fetch_feed(url=server.url("/rss"), allow_private=False, **LIMITS)
    assert server.requests == []


def test_html_page_is_not_a_feed(server):
    with pytest.raises(FeedParseError) as info:
        fetch_feed(url=server.url("/html"), allow_private=True, **LIMITS)
    assert isinstance(info.value, PermanentFetchError)
    assert "not an RSS or Atom feed" in info.value.reason


def test_missing_feed_is_permanent(server):
    with pytest.raises(PermanentFetchError) as info:
        fetch_feed(url=server.url("/gone"), allow_private=True, **LIMITS)
    assert info.value.status == 404


def test_rss_entries():
    _title, entries = parse_feed(content=RSS, url="https://news.example/feed.xml")
    first, second, third = entries
    assert first.guid == "news-example-1001"
    assert first.url.startswith("https://news.example/politics/csto-putin?")
    assert first.summary == "قال الرئيس الروسي إن القوات ستغادر فور انتهاء المهمة.\nالتفاصيل في الداخل"
    assert "<" not in first.content and "track()" not in first.content
    assert first.content.startswith("قال الرئيس الروسي فلاديمير بوتين")
    assert first.text == first.content
    assert first.published_at == datetime(2022, 1, 10, 11, 35, tzinfo=UTC)
    # Relative link resolved against the feed URL; +0300 converted to UTC.
    assert second.url == "https://news.example/politics/tokayev-soon"
    assert second.published_at == datetime(2022, 1, 11, 6, 0, tzinfo=UTC)
    assert second.text == "الرئيس الكازاخستاني يعلن أن المهمة الأساسية انتهت"
    # No link and a non-permalink guid: the entry has no URL and no date.
    assert third.url is None and third.guid == "brief-77" and third.published_at is None
    assert third.summary == "ينعقد الاجتماع مساء اليوم."


def test_entry_dates_that_cannot_be_right_are_dropped():
    def entry(published):
        return f"<item><title>Story {published}</title><link>https://a.example/{len(published)}</link><pubDate>{published}</pubDate></item>"

    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        + entry("Thu, 01 Jan 1970 00:00:00 GMT")  # the epoch: a feed that lost its dates
        + entry("Mon, 01 Jan 2120 00:00:00 GMT")
        + entry("Mon, 10 Jan 2022 11:35:00 GMT")
        + "</channel></rss>"
    ).encode()
    _title, entries = parse_feed(content=rss, url="https://a.example/feed")
    assert [e.published_at for e in entries] == [None, None, datetime(2022, 1, 10, 11, 35, tzinfo=UTC)]


def test_atom_entries():
    title, (english, arabic) = parse_feed(content=ATOM, url="https://world.example/feed.atom")
    assert title == "World Desk"
    assert english.title == "CSTO peacekeepers complete withdrawal from Kazakhstan"
    assert english.url == "https://world.example/stories/csto-withdrawal#top"
    assert english.guid == "tag:world.example,2022:csto-withdrawal"
    assert english.published_at == datetime(2022, 1, 19, 9, 0, tzinfo=UTC)  # published, not updated
    assert english.content == (
        "The last transport aircraft carrying CSTO troops left Kazakhstan on Wednesday.\n"
        "Officials said all personnel had been flown home."
    )
    assert english.summary == "The last transport aircraft left on Wednesday."
    assert arabic.title == "انسحاب آخر وحدات المنظمة من كازاخستان"
    assert arabic.published_at == datetime(2022, 1, 19, 8, 0, tzinfo=UTC)  # only <updated>
    assert arabic.content == "" and arabic.text == arabic.summary


def test_feedparser_never_fetches_a_url_given_as_content():
    with pytest.raises(FeedParseError):
        parse_feed(content=b"http://127.0.0.1:9/feed.xml", url="https://news.example/feed.xml")


# --------------------------------------------------------------------------- dedup keys


@pytest.mark.parametrize(
    "a, b",
    [
        ("بوتين: القوات ستغادر كازاخستان!", "بوتين القوات ستغادر كازاخستان"),
        ("إنجاز المهمة", "انجاز المهمه"),  # hamza and taa marbuta variants
        ("الانسحابُ قريباً", "الانسحاب قريبا"),  # diacritics
        ("CSTO  Troops -- Leave Kazakhstan", "csto troops leave kazakhstan"),
        ("«عاجل»: اجتماع طارئ؟", "عاجل اجتماع طارئ"),
    ],
)
def test_normalised_titles_match(a, b):
    assert normalise_title(a) == normalise_title(b)


def test_normalised_titles_keep_different_stories_apart():
    assert normalise_title("القوات ستغادر") != normalise_title("القوات لن تغادر")
    assert normalise_title("   ...  ") == ""


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            "HTTPS://News.Example.COM:443/World/Story?id=7&utm_source=tw&utm_campaign=x#comments",
            "https://news.example.com/World/Story?id=7",
        ),
        ("http://news.example:80", "http://news.example/"),
        ("http://news.example:8080/a", "http://news.example:8080/a"),
        ("https://news.example/a?fbclid=abc&page=2&gclid=z", "https://news.example/a?page=2"),
        ("https://news.example/a?b=2&a=1", "https://news.example/a?b=2&a=1"),
        ("https://news.example/%7euser/x%2fy", "https://news.example/~user/x%2Fy"),
        ("https://user:secret@news.example/a", "https://news.example/a"),
        ("mailto:desk@news.example", "mailto:desk@news.example"),
    ],
)
def test_canonical_url(raw, expected):
    assert canonical_url(raw) == expected


def test_arabic_url_is_the_same_encoded_or_not():
    readable = "https://news.example/أخبار/انسحاب-القوات?tag=كازاخستان"
    encoded = (
        "https://news.example/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/"
        "%D8%A7%D9%86%D8%B3%D8%AD%D8%A7%D8%A8-%D8%A7%D9%84%D9%82%D9%88%D8%A7%D8%AA"
        "?tag=%D9%83%D8%A7%D8%B2%D8%A7%D8%AE%D8%B3%D8%AA%D8%A7%D9%86&utm_medium=social"
    )
    assert canonical_url(readable) == canonical_url(encoded)
    assert canonical_url(readable).isascii()


def test_canonical_url_is_idempotent():
    once = canonical_url("HTTPS://Ünïcode.example/ä?x=1&utm_id=3#f")
    assert canonical_url(once) == once
    assert once == "https://xn--ncode-cta3g.example/%C3%A4?x=1"
