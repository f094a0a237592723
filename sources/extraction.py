"""Article extraction from fetched HTML: title, boilerplate-free body, publication date, language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import lxml.html
import trafilatura
from lxml.etree import ParserError

from factnlp.text import detect_language

# htmldate can return a time and offset when the page has one (article:published_time).
_DATE_PARAMS = {"original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}

# Widget text that some templates put inside the article container itself, where
# trafilatura cannot tell it from content. Matched only against whole short lines.
_WIDGET_LINE = re.compile(
    r"""^\W*(?:
        (?:شارك|شاركها|شارك\s+الخبر|انشر|مشاركة)(?:\s+(?:على|عبر|في))?
            \s*(?:فيسبوك|فيس\s*بوك|تويتر|إكس|واتساب|واتس\s*اب|تلغرام|تيليجرام|لينكد\s*إن|البريد)?
        |أرسل\s+عبر\s+\S+
        |اترك\s+(?:تعليقا|تعليقاً|تعليقًا|ردا|رداً|ردًا)
        |أضف\s+(?:تعليقا|تعليقاً|تعليقًا|تعليقك)
        |(?:إرسال|ارسال|نشر)\s+التعليق
        |التعليق|التعليقات|الاسم|البريد\s+الإلكتروني|الموقع\s+الإلكتروني
        |لن\s+يتم\s+نشر\s+عنوان\s+بريدك\s+الإلكتروني.*
        |الحقول\s+الإلزامية.*
        |تابعونا\s+على.*
        |(?:share|tweet|post|email)(?:\s+(?:this|article|story))?(?:\s+(?:on|via|to)\s+\w+)?
        |leave\s+a\s+(?:comment|reply)|post\s+(?:a\s+)?comment|add\s+a\s+comment
        |(?:your\s+)?(?:name|e-?mail|website|comment)\s*\*?
        |your\s+email\s+address\s+will\s+not\s+be\s+published.*
        |required\s+fields\s+are\s+marked.*
        |copy\s+link|follow\s+us\s+on.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WIDGET_LINE_MAX_WORDS = 12
# jusText, trafilatura's fallback extractor, takes time quadratic in the number of short
# blocks (8,000 small tables, 430 kB: half a minute; a 5 MB page of them: most of an hour).
# Past this many elements only trafilatura's own, linear, extractor runs.
_FALLBACK_MAX_ELEMENTS = 10_000


class ExtractionError(ValueError):
    """No article text could be extracted; ``reason`` says why. Retrying will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ExtractedArticle:
    """What an article page says, without navigation, share widgets or comments."""

    title: str
    body: str
    published_at: date | datetime | None
    language: str
    author: str | None = None
    site_name: str | None = None
    url: str | None = None


def extract_article(
    *,
    html: str | bytes,
    url: str | None = None,
    encoding: str | None = None,
    min_body_chars: int = 80,
) -> ExtractedArticle:
    """Extract the article from a page; ``encoding`` is the HTTP charset when ``html`` is bytes.

    Raises ExtractionError when the page has no article text, or less than
    ``min_body_chars`` of it (a menu item or a login prompt is not an article).
    """
    if isinstance(html, bytes) and encoding:
        try:
            html = html.decode(encoding, errors="replace")
        except (LookupError, UnicodeError):  # unknown or unusable charset label: let trafilatura sniff it
            pass
    if not html or not html.strip():
        raise ExtractionError("the page is empty")
    tree = _parse(html)
    fast = tree is not None and sum(1 for _ in tree.getroottree().iter()) > _FALLBACK_MAX_ELEMENTS
    document = _extract(html, url=url, favor_recall=False, fast=fast) or _extract(
        html, url=url, favor_recall=True, fast=fast
    )
    if document is None or not (document.text or "").strip():
        raise ExtractionError("no article text found on the page")
    title = (document.title or "").strip()
    body = _clean_body(document.text, title=title)
    if len(body) < min_body_chars:
        raise ExtractionError(f"only {len(body)} characters of article text found (at least {min_body_chars} needed)")
    declared = _declared_language(tree)
    detected = detect_language(body)
    return ExtractedArticle(
        title=title,
        body=body,
        published_at=_parse_date(document.date),
        language=_choose_language(declared=declared, detected=detected),
        author=document.author or None,
        site_name=document.sitename or None,
        url=document.url or url,
    )


def _extract(html: str | bytes, *, url: str | None, favor_recall: bool, fast: bool):
    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_recall=favor_recall,
        fast=fast,
        deduplicate=False,
        date_extraction_params=_DATE_PARAMS,
    )


def _clean_body(text: str, *, title: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    kept = []
    for line in lines:
        if not line:
            continue
        if len(line.split()) <= _WIDGET_LINE_MAX_WORDS and _WIDGET_LINE.match(line):
            continue
        kept.append(line)
    # trafilatura keeps the <h1> as the first line; the title has its own field.
    if kept and title and kept[0] == title:
        kept = kept[1:]
    return "\n".join(kept)


def _parse_date(value: str | None) -> date | datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, _DATE_PARAMS["outputformat"])
    except ValueError:
        try:
            parsed = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            return None
    # htmldate pads a date-only finding with midnight and no offset: report it as a date.
    if parsed.tzinfo is None and (parsed.hour, parsed.minute, parsed.second) == (0, 0, 0):
        return parsed.date()
    return parsed


def _parse(html: str | bytes) -> lxml.html.HtmlElement | None:
    try:
        try:
            return lxml.html.fromstring(html)
        except ValueError:  # lxml takes a document declaring its encoding only as bytes
            if not isinstance(html, str):
                raise
            return lxml.html.fromstring(html.encode("utf-8"))
    except (ParserError, ValueError):
        return None


def _declared_language(tree: lxml.html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    candidates = [
        *tree.xpath("/html/@lang"),
        *tree.xpath("/html/@xml:lang"),
        *tree.xpath("//meta[translate(@http-equiv,'CONTENTLAGU-','contentlagu-')='content-language']/@content"),
        *tree.xpath("//meta[@property='og:locale']/@content"),
    ]
    for value in candidates:
        code = re.split(r"[-_,;\s]", value.strip().lower(), maxsplit=1)[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return None


def _choose_language(*, declared: str | None, detected: str) -> str:
    if declared is None:
        return detected
    # Site templates often keep lang="en" on Arabic pages (and the reverse); the Arabic
    # script test in detect_language is reliable enough to overrule the markup.
    if (declared == "ar") != (detected == "ar") and detected != "und":
        return detected
    return declared
