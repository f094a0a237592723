"""Fixed vocabularies of the sources app."""

from django.db import models


class ArticleState(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ArticleOrigin(models.TextChoices):
    API = "api", "Posted by API"
    URL = "url", "Fetched from a URL"
    FEED = "feed", "From a feed"
    ADMIN = "admin", "Entered in the admin"
