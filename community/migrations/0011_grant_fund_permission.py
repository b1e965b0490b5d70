"""District and street staff assigned before the maintenance fund existed get review_fund,
which their roles now carry (community.access.ROLE_PERMS), on the scope they already hold."""

from django.db import migrations

from community.grants import granting

NEW = {
    "district_admin": {"review_fund": "审核维修资金使用、管理维修资金专户"},
    "street_staff": {"review_fund": "审核维修资金使用、管理维修资金专户"},
}


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0010_fund_permission_and_rule"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(granting(NEW), migrations.RunPython.noop)]
