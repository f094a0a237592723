"""Roles: admins (superusers), editors (group "editors") write; any other account reads.

The staff flag only lets an account into the Django admin, as Django means it: editors work
there too, so it grants no API rights of its own.

Anonymous requests are refused unless API_PUBLIC_READ opens safe methods.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

EDITORS_GROUP = "editors"
READERS_GROUP = "readers"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


def is_editor(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    if is_admin(user):
        return True
    # Cached on the user object: one request checks the role several times.
    if not hasattr(user, "_is_editor"):
        user._is_editor = user.groups.filter(name=EDITORS_GROUP).exists()
    return user._is_editor


class RolePermission(BasePermission):
    """Reads for any account, writes for editors, deletes for admins.

    A view may set ``write_role = "admin"`` to keep all writes for admins, and
    ``post_is_read = True`` where a POST only reads (a search whose text is too long for a URL).
    """

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in SAFE_METHODS or (request.method == "POST" and getattr(view, "post_is_read", False)):
            return bool(user and user.is_authenticated) or settings.API_PUBLIC_READ
        if request.method == "DELETE" or getattr(view, "write_role", "editor") == "admin":
            return is_admin(user)
        return is_editor(user)
