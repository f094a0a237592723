"""Article extraction keeps the story and drops navigation, share widgets and comment forms."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sources.extraction import ExtractionError, extract_article

FIXTURES = Path(__file__).parent / "fixtures"

ARABIC_BOILERPLATE = [
    "اترك تعليق",
    "الاسم",
    "البريد الإلكتروني",
    "إرسال التعليق",
    "شارك على فيسبوك",
    "شارك على تويتر",
    "واتساب",
    "لا أظن أن القوات",  # a reader comment
    "أخبار ذات صلة",
    "جميع الحقوق محفوظة",
    "سياسة الخصوصية",
]
ARABIC_PARAGRAPH_OPENINGS = [
    "قال الرئيس الروسي فلاديمير بوتين",
    "وجاءت تصريحات بوتين",
    "أعلن الرئيس الكازاخستاني قاسم جومارت توكاييف أن انسحاب القوات سيبدأ قريباً",
    "ويرى محللون أن سرعة الانسحاب",
]


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def arabic_html() -> str:
    return _read("article_ar.html")


def test_arabic_article_body_without_comments_or_share_widgets(arabic_html):
    article = extract_article(html=arabic_html, url="https://news.example/kz/csto")
    for opening in ARABIC_PARAGRAPH_OPENINGS:
        assert opening in article.body
    for junk in ARABIC_BOILERPLATE:
        assert junk not in article.body, junk
    assert article.title == ("بوتين: قوات منظمة معاهدة الأمن الجماعي ستغادر كازاخستان بعد إنجاز مهمتها")
    assert not article.body.startswith(article.title)
    assert article.language == "ar"
    assert article.published_at == datetime(2022, 1, 10, 14, 35, tzinfo=timezone(timedelta(hours=3)))


def test_widgets_inside_the_article_container_are_still_dropped(arabic_html):
    # Some templates have no telling class names and put widget text in the body as plain
    # paragraphs; trafilatura keeps those, so the extractor must filter them itself.
    stripped = re.sub(r' (?:class|id)="[^"]*"', "", arabic_html)
    stripped = stripped.replace(
        "<p>ويرى محللون",
        "<p>شارك على فيسبوك</p><p>شارك على تويتر</p><p>اترك تعليقاً</p>"
        "<p>الاسم</p><p>البريد الإلكتروني</p><p>إرسال التعليق</p><p>ويرى محللون",
    )
    article = extract_article(html=stripped)
    for opening in ARABIC_PARAGRAPH_OPENINGS:
        assert opening in article.body
    for junk in ["شارك على", "اترك تعليق", "الاسم", "البريد الإلكتروني", "إرسال التعليق"]:
        assert junk not in article.body, junk


def test_english_article():
    article = extract_article(html=_read("article_en.html"), url="https://world.example/csto")
    assert article.title == "CSTO peacekeepers complete withdrawal from Kazakhstan"
    assert "The last military transport aircraft" in article.body
    assert "would leave once their mission was complete" in article.body
    for junk in ["Share on", "Leave a comment", "Post comment", "Subscribe", "Sign up", "Copyright", "Copy link"]:
        assert junk not in article.body, junk
    assert article.language == "en"  # no lang attribute: detected from the body
    assert article.published_at == datetime(2022, 1, 19, 9, 0, tzinfo=UTC)


def test_bytes_with_http_charset(arabic_html):
    raw = arabic_html.replace('<meta charset="utf-8">', "").encode("cp1256")
    article = extract_article(html=raw, encoding="windows-1256")
    assert ARABIC_PARAGRAPH_OPENINGS[0] in article.body


def test_date_only_page_gives_a_date():
    html = _read("article_en.html").replace(
        '<meta property="article:published_time" content="2022-01-19T09:00:00Z">',
        '<meta name="date" content="2022-01-19">',
    )
    assert extract_article(html=html).published_at == date(2022, 1, 19)


def test_wrongly_declared_language_is_overruled_by_script(arabic_html):
    html = arabic_html.replace('<html lang="ar" dir="rtl">', '<html lang="en-US">')
    assert extract_article(html=html).language == "ar"


def test_declared_language_is_used():
    html = _read("article_en.html").replace("<html>", '<html lang="en-GB">')
    assert extract_article(html=html).language == "en"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html><body></body></html>",
        "<html><body><nav><a href='/'>Home</a></nav><form><label>Name</label><input></form></body></html>",
    ],
)
def test_pages_without_article_text_raise(html):
    with pytest.raises(ExtractionError) as info:
        extract_article(html=html)
    assert info.value.reason
