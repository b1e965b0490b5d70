"""Wagtail's install creates "Editors" and "Moderators" with rights over the whole tree.
Page rights here come only from community/access.py (cms/permissions.py), so those
broad groups are removed before anyone can be put in them."""

from django.db import migrations


def drop(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Editors", "Moderators"], user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtaildocs", "0002_initial_data"),
        ("wagtailimages", "0002_initial_data"),
    ]
    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
