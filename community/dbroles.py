"""The role the application connects as (数据完整性, 访问控制): a login that owns nothing.

The tables belong to the owner, the role ``migrate`` runs as. The application role may read and
write rows where the application needs to, and nothing else: no TRUNCATE, no DELETE on the
record tables (those that carry ``community.records.AppendOnly``), no write to
``django_migrations``, no CREATE in the schema, no ALTER (only an owner may alter a table, disable
its triggers or set ``session_replication_role``, which needs a superuser). Default privileges
give the tables later migrations create the same rows-only grants; run ``setup_app_role`` again
after every ``migrate`` so a new record table loses its DELETE.

Everything here is idempotent: running it twice leaves the same grants as running it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from .records import protected_tables

ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
READ_ONLY_TABLES = ("django_migrations",)


class RoleError(Exception):
    """Why the role could not be set up, in words for the operator."""


@dataclass
class RoleReport:
    role: str
    owner: str
    schema: str
    created: bool
    tables: int = 0
    record_tables: list[str] = field(default_factory=list)
    read_only_tables: list[str] = field(default_factory=list)


def _run(cursor, statement: sql.Composable) -> None:
    cursor.execute(statement.as_string(connection.connection))


def setup_app_role(*, role: str, password: str = "") -> RoleReport:
    """Create or bring up to date the application's login role in the current database, connected
    as the owner of the tables. ``password`` may be empty for an existing role (it keeps its own)."""
    if connection.vendor != "postgresql":
        raise RoleError(_("数据库角色只能在 PostgreSQL 上设置。"))
    role = role.strip()
    if not role or not role.replace("_", "").isalnum() or not role.isascii() or role[0].isdigit():
        raise RoleError(_("角色名只能由英文字母、数字和下划线组成，且不以数字开头：%(role)s") % {"role": role})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_database()")
        owner, schema, database = cursor.fetchone()
        if role == owner:
            raise RoleError(_("应用角色不能是表的所有者（当前连接的角色 %(owner)s）。") % {"owner": owner})
        cursor.execute(
            """SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')""",
            [schema],
        )
        foreign = [name for (name,) in cursor.fetchall()]
        if foreign:
            raise RoleError(
                _("请用表的所有者（执行 migrate 的角色）运行；当前角色 %(owner)s 不拥有这些表：%(tables)s")
                % {"owner": owner, "tables": "、".join(sorted(foreign)[:10])}
            )
        cursor.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        r, s = sql.Identifier(role), sql.Identifier(schema)
        if found is None:
            if not password:
                raise RoleError(
                    _("新建角色 %(role)s 需要密码（--password 或环境变量 DATABASE_APP_PASSWORD）。") % {"role": role}
                )
            _run(cursor, sql.SQL("CREATE ROLE {} " + ROLE_ATTRIBUTES + " PASSWORD {}").format(r, sql.Literal(password)))
        else:
            _run(cursor, sql.SQL("ALTER ROLE {} " + ROLE_ATTRIBUTES).format(r))
            if password:
                _run(cursor, sql.SQL("ALTER ROLE {} PASSWORD {}").format(r, sql.Literal(password)))
        # A member of another role could act with that role's rights (the owner's, above all).
        cursor.execute(
            """SELECT g.rolname FROM pg_catalog.pg_auth_members m
               JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member
               WHERE u.rolname = %s""",
            [role],
        )
        for (group,) in cursor.fetchall():
            _run(cursor, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), r))

        _run(cursor, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r))
        _run(cursor, sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(s, r))
        _run(cursor, sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(s))
        _run(cursor, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r))

        _run(cursor, sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, r))
        _run(cursor, sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(s, r))
        records = [t for t in protected_tables(apps.get_models()) if _exists(cursor, schema, t)]
        for table in records:
            # UPDATE stays granted: SELECT … FOR UPDATE (community.locks) needs it, and the
            # table's trigger refuses every change but the one its model allows.
            _run(cursor, sql.SQL("REVOKE DELETE, TRUNCATE ON {}.{} FROM {}").format(s, sql.Identifier(table), r))
        read_only = [t for t in READ_ONLY_TABLES if _exists(cursor, schema, t)]
        for table in read_only:
            _run(cursor, sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {}.{} FROM {}").format(s, sql.Identifier(table), r))
        _run(cursor, sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(s, r))
        _run(cursor, sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, r))

        owner_id = sql.Identifier(owner)
        _run(
            cursor,
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(owner_id, s, r),
        )
        _run(
            cursor,
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
                owner_id, s, r
            ),
        )
        cursor.execute(
            """SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind IN ('r', 'p')""",
            [schema],
        )
        (tables,) = cursor.fetchone()
    return RoleReport(
        role=role,
        owner=owner,
        schema=schema,
        created=found is None,
        tables=tables,
        record_tables=records,
        read_only_tables=read_only,
    )


def _exists(cursor, schema: str, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema}"."{table}"'])
    return cursor.fetchone()[0]
