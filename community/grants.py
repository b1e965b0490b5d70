"""Data-migration helper: give roles assigned before a permission existed the permissions
their role now carries (community.access.ROLE_PERMS), on the scope they already hold.
Uses the historical models a migration passes in, so it never depends on today's code."""


def granting(new: dict[str, dict[str, str]]):
    """A RunPython function granting ``{role: {codename: name}}`` to existing assignments."""

    def grant(apps, schema_editor):
        RoleAssignment = apps.get_model("community", "RoleAssignment")
        Permission = apps.get_model("auth", "Permission")
        Grant = apps.get_model("guardian", "UserObjectPermission")
        for assignment in RoleAssignment.objects.filter(role__in=new):
            for codename, name in new[assignment.role].items():
                # The permission row is normally made after migrating; make it now if it is missing.
                permission, _ = Permission.objects.get_or_create(
                    codename=codename, content_type_id=assignment.scope_type_id, defaults={"name": name}
                )
                Grant.objects.get_or_create(
                    user_id=assignment.user_id,
                    permission=permission,
                    content_type_id=assignment.scope_type_id,
                    object_pk=str(assignment.scope_id),
                )

    return grant
