"""Roles assigned before fees existed get the permissions those roles now carry
(community.access.ROLE_PERMS): committee members keep_accounts and approve_spending,
company staff keep_accounts, on the scope they already hold."""

from django.db import migrations

NEW = {
    "committee_member": {"keep_accounts": "收费记账、提出支出申请", "approve_spending": "审批支出、发布收支报表"},
    "company_staff": {"keep_accounts": "收费记账、提出支出申请"},
}


def grant(apps, schema_editor):
    RoleAssignment = apps.get_model("community", "RoleAssignment")
    Permission = apps.get_model("auth", "Permission")
    Grant = apps.get_model("guardian", "UserObjectPermission")
    for assignment in RoleAssignment.objects.filter(role__in=NEW):
        for codename, name in NEW[assignment.role].items():
            # The permission row is normally made after migrating; make it now if it is missing.
            permission, _ = Permission.objects.get_or_create(
                codename=codename, content_type_id=assignment.scope_type_id, defaults={"name": name}
            )
            Grant.objects.get_or_create(
                user_id=assignment.user_id, permission=permission, content_type_id=assignment.scope_type_id,
                object_pk=str(assignment.scope_id),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0008_fee_permissions_and_rules"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
