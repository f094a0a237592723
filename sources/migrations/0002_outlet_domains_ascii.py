"""Outlet domains in the form canonical article URLs carry (ASCII/punycode, lower case, no root
dot), so that an outlet registered under its Arabic or other non-ASCII domain is found again."""

from django.db import migrations


def _ascii_domain(domain: str) -> str:
    # A copy of sources.services.outlet_domain_key as it is today: migrations must not change
    # when the app's code does.
    host = domain.strip().rstrip(".").lower()
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def forwards(apps, schema_editor):
    Outlet = apps.get_model("sources", "Outlet")
    for outlet in Outlet.objects.exclude(domain=""):
        try:
            domain = _ascii_domain(outlet.domain)
        except UnicodeError:
            continue  # not a valid host name: left as it was typed
        if domain != outlet.domain and not Outlet.objects.filter(domain=domain).exists():
            Outlet.objects.filter(pk=outlet.pk).update(domain=domain)


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
