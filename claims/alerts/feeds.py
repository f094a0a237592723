"""Atom feeds of status changes and accepted evidence, for all claims and per claim.

Access follows the API: with ``API_PUBLIC_READ`` on, anyone may read them; otherwise the
reader needs a logged-in session or an API token in the query string
(``/feeds/claims.atom?token=<token>``), because feed readers cannot send headers.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from rest_framework.authtoken.models import Token

from ..models import Claim
from . import selectors

# Characters outside XML 1.0's Char production; Django's feed writer raises on them.
_NOT_XML_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def feed_reader_allowed(request) -> bool:
    if settings.API_PUBLIC_READ or request.user.is_authenticated:
        return True
    key = request.GET.get("token", "")
    # PostgreSQL text cannot hold NUL, so no stored key has one, and the lookup would raise.
    return bool(key) and "\x00" not in key and Token.objects.filter(key=key, user__is_active=True).exists()


def _xml_safe(value):
    if isinstance(value, str):
        return _NOT_XML_CHARACTER.sub("\ufffd", value)
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom1Feed that replaces characters XML 1.0 forbids, so one stored control character cannot break a feed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})


class ClaimsFeed(Feed):
    """Every claim's status changes and accepted evidence, newest first."""

    feed_type = XmlSafeAtom1Feed
    title = "Claim tracker: status changes and accepted evidence"
    subtitle = "Claims whose status changed, and later reporting editors accepted as evidence."
    link = "/api/v1/claims/"

    def __call__(self, request, *args, **kwargs):
        if not feed_reader_allowed(request):
            response = HttpResponse(
                "This feed needs an account: log in, or add ?token=<your API token> to its URL.\n",
                status=401,
                content_type="text/plain; charset=utf-8",
            )
            response["WWW-Authenticate"] = 'Token realm="feeds"'
            return response
        return super().__call__(request, *args, **kwargs)

    def items(self, obj=None):
        return selectors.feed_entries(claim_id=obj.pk if obj else None, limit=settings.ALERTS_FEED_ITEMS)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return f"/api/v1/claims/{item.claim.pk}/#{item.link_fragment}"

    def item_guid(self, item):
        return item.guid

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published

    def item_updateddate(self, item):
        return item.published


class ClaimFeed(ClaimsFeed):
    """One claim's status changes and accepted evidence."""

    def get_object(self, request, claim_id: int):
        if not str(claim_id).isdigit():
            raise Http404
        return get_object_or_404(Claim, pk=int(claim_id))

    def title(self, obj):
        return f"Claim {obj.pk}: {obj.text[:100]}"

    def subtitle(self, obj):
        return f"Status changes and accepted evidence for: {obj.text[:300]}"

    def link(self, obj):
        return f"/api/v1/claims/{obj.pk}/"
