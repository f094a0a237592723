"""Load the demo desk: accounts, outlets and the Kazakhstan claims. Safe to run twice."""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from claims import services
from claims.models import Claim
from factcheck.api.permissions import EDITORS_GROUP, READERS_GROUP
from sources.choices import ArticleOrigin
from sources.models import Outlet
from sources.services import article_submit

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo.json"


class Command(BaseCommand):
    help = "Create demo accounts (printing their passwords once) and demo claims."

    def handle(self, *args, **options):
        credentials_file = Path(settings.VAR_DIR) / "demo-credentials.json"
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            credentials = self._accounts(credentials_file)
            created = self._content(User.objects.get(username="editor"))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new claims)."))
        self.stdout.write(f"Accounts (also in {credentials_file}):")
        for username, values in credentials.items():
            self.stdout.write(f"  {username:8} password {values['password']}  API token {values['token']}")

    def _accounts(self, credentials_file: Path) -> dict:
        stored = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
        roles = {"admin": None, "editor": EDITORS_GROUP, "reader": READERS_GROUP}
        for username, group in roles.items():
            user = User.objects.filter(username=username).first()
            if user is None or username not in stored:
                password = secrets.token_urlsafe(9)
                user = user or User(username=username)
                user.is_staff = user.is_superuser = username == "admin"
                # Editors work in the admin too; their rights come from the group.
                user.is_staff = user.is_staff or username == "editor"
                user.set_password(password)
                user.save()
                stored[username] = {"password": password}
            if group:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
            stored[username]["token"] = Token.objects.get_or_create(user=user)[0].key
        self._grant_editor_admin_rights()
        credentials_file.write_text(json.dumps(stored, indent=2))
        credentials_file.chmod(0o600)
        return stored

    def _grant_editor_admin_rights(self) -> None:
        from django.contrib.auth.models import Permission

        editors = Group.objects.get_or_create(name=EDITORS_GROUP)[0]
        codenames = [
            "add_claim",
            "change_claim",
            "view_claim",
            "add_claimant",
            "change_claimant",
            "view_claimant",
            "view_evidence",
            "change_evidence",
            "view_claimstatuschange",
            "add_tag",
            "view_tag",
            "view_article",
            "add_article",
            "view_outlet",
            "add_outlet",
            "change_outlet",
            "view_feed",
            "add_feed",
            "change_feed",
            "view_backfillrun",
        ]
        editors.permissions.add(*Permission.objects.filter(codename__in=codenames))

    def _content(self, editor: User) -> int:
        demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        for values in demo["outlets"]:
            Outlet.objects.get_or_create(domain=values["domain"], defaults=values)
        for values in demo["claimants"]:
            claimant = services.claimant_get_or_create(name=values["name"])
            for field in ("kind", "description", "link"):
                setattr(claimant, field, values[field])
            claimant.save()
        articles = []
        for values in demo["articles"]:
            article, _ = article_submit(
                origin=ArticleOrigin.ADMIN,
                title=values["title"],
                body=values["body"],
                language=values["language"],
                published_at=parse_datetime(values["published_at"]),
                outlet=Outlet.objects.get(domain=values["outlet"]),
                created_by=editor,
            )
            articles.append(article)
        created = 0
        for values in demo["claims"]:
            if Claim.objects.filter(text=values["text"]).exists():
                continue
            article = articles[values["article"]] if "article" in values else None
            services.claim_create(
                text=values["text"],
                created_by=editor,
                claimant=services.claimant_get_or_create(name=values["claimant"]),
                kind=values["kind"],
                made_on=date.fromisoformat(values["made_on"]),
                first_appearance_article=article,
                tags=values["tags"],
            )
            created += 1
        # A later report, submitted after the claims so the pipeline has something to flag
        # for the editors (dated now: the backfill window looks back 90 days).
        for values in demo.get("follow_up_articles", []):
            article_submit(
                origin=ArticleOrigin.ADMIN,
                title=values["title"],
                body=values["body"],
                language=values["language"],
                published_at=timezone.now(),
                outlet=Outlet.objects.get(domain=values["outlet"]),
                created_by=editor,
            )
        return created
