"""Before mediation rooms existed, a mediator's role sat on a community and granted only
view_registry there. A mediator now serves a room (community.access.register_role_scope), so
those placeholder assignments are removed with the grant they made (unless another role of the
same user on the same community also grants it). Appoint the mediator to a room to restore access."""

from django.db import migrations


def retire(apps, schema_editor):
    RoleAssignment = apps.get_model("community", "RoleAssignment")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Grant = apps.get_model("guardian", "UserObjectPermission")
    community = ContentType.objects.filter(app_label="community", model="community").first()
    if community is None:
        return
    for assignment in RoleAssignment.objects.filter(role="mediator", scope_type=community):
        others = RoleAssignment.objects.filter(
            user_id=assignment.user_id, scope_type=community, scope_id=assignment.scope_id
        ).exclude(pk=assignment.pk)
        if not others.exists():
            Grant.objects.filter(
                user_id=assignment.user_id,
                content_type=community,
                object_pk=str(assignment.scope_id),
                permission__codename="view_registry",
            ).delete()
        assignment.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0001_initial"),
        ("community", "0013_grant_mediation_permission"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
