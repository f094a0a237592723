"""Where claim events go once committed: each becomes an alert, fanned out to its subscribers."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def dispatch(event: str, **payload) -> None:
    """Record the alert for a committed claim event; never raises into the caller.

    Runs from ``transaction.on_commit``: the claim change is already saved, so a
    failure here is logged rather than turned into an error for the editor.
    """
    from .alerts import services

    handlers = {
        "claim.status_changed": lambda: services.alert_for_status_change(status_change_id=payload["status_change_id"]),
        "evidence.created": lambda: services.alert_for_evidence(evidence_id=payload["evidence_id"]),
    }
    handler = handlers.get(event)
    if handler is None:
        logger.warning("no alert for event %s %s", event, payload)
        return
    try:
        handler()
    except Exception:
        logger.exception("recording the alert for %s %s failed", event, payload)
