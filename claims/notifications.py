"""Where claim events go once committed: subscribers, e-mail and webhooks hook in here."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def dispatch(event: str, **payload) -> None:
    logger.info("event %s %s", event, payload)
