"""Developer defaults: debug on, an insecure but local-only secret key."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
# Demos fetch pages from the machine they run on; production must not.
FETCH_ALLOW_PRIVATE_NETWORKS = env.bool("FETCH_ALLOW_PRIVATE_NETWORKS", default=True)
