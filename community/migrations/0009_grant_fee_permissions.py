"""Roles assigned before fees existed get the permissions those roles now carry
(community.access.ROLE_PERMS): committee members keep_accounts and approve_spending,
company staff keep_accounts, on the scope they already hold."""

from django.db import migrations

from community.grants import granting

NEW = {
    "committee_member": {"keep_accounts": "收费记账、提出支出申请", "approve_spending": "审批支出、发布收支报表"},
    "company_staff": {"keep_accounts": "收费记账、提出支出申请"},
}


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0008_fee_permissions_and_rules"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(granting(NEW), migrations.RunPython.noop)]
