"""Follow-ups and alerts: subscriptions, scheduled scans, e-mail, signed webhooks and Atom feeds."""
