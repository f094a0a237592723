"""API plumbing shared by every app: errors, pagination, permissions."""
