"""District administrators and community staff assigned before mediation existed get open_cases,
which their roles now carry (community.access.ROLE_PERMS), on the scope they already hold."""

from django.db import migrations

from community.grants import granting

NAME = "登记物业纠纷调解案件、查阅案卷"
NEW = {"district_admin": {"open_cases": NAME}, "community_staff": {"open_cases": NAME}}


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0012_mediation_permission_and_rule"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(granting(NEW), migrations.RunPython.noop)]
