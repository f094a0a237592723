"""Fixed vocabularies of the claims app: the API's contract, so change with care."""

from django.db import models


class ClaimKind(models.TextChoices):
    STATEMENT = "statement", "Statement of fact"
    PROMISE = "promise", "Promise"
    PREDICTION = "prediction", "Prediction"


class ClaimStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    CONTRADICTED = "contradicted", "Contradicted"
    MIXED = "mixed", "Mixed"
    UNVERIFIABLE = "unverifiable", "Unverifiable"


class Stance(models.TextChoices):
    CONFIRMS = "confirms", "Confirms"
    CONTRADICTS = "contradicts", "Contradicts"
    DISCUSSES = "discusses", "Discusses"


class ReviewState(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ReviewAction(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    REOPENED = "reopened", "Reopened for review"


class FollowUpSource(models.TextChoices):
    PROPOSED = "proposed", "Proposed from the claim text"
    SET = "set", "Set by an editor"


class BackfillState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
