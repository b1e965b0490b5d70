"""Records the database keeps (数据完整性): PostgreSQL triggers that refuse to change or remove
what must stay as it was written, whoever asks and whatever the application believes.

A model lists them in ``Meta.triggers`` (``*records.append_only("name")``); they are installed
by its migration and do nothing on SQLite.

* ``AppendOnly`` refuses UPDATE and DELETE of a row. Where one change is part of a record's
  life (an owner correcting the paper ballot staff entered for them while the vote is open, a
  counter moving forward), ``allow`` is the PL/pgSQL that lets exactly that UPDATE through with
  ``RETURN NEW``; everything else is refused.
* ``NoTruncate`` refuses TRUNCATE, a statement that fires no row trigger, to every role that
  is not the table's owner. The owner (the role migrations run as) is exempt because it owns
  the table: it may drop or disable any trigger on it anyway, so refusing it would protect
  nothing, and the test suite (which runs as the owner) empties tables with TRUNCATE between
  transactional tests. The application connects as a role that owns nothing
  (``manage.py setup_db_roles``): it holds no TRUNCATE privilege, and the trigger refuses it
  even if one were granted by mistake.

Why not ``pgtrigger.Protect``: every trigger django-pgtrigger compiles first asks
``_pgtrigger_should_ignore(TG_NAME)``, which reads the session setting ``pgtrigger.ignore``. A
custom setting may be set by any role (``SELECT set_config('pgtrigger.ignore',
'{pgtrigger_ledger_append_only_…}', false)``), so any connection could switch a Protect trigger
off for itself. The triggers here are compiled from pgtrigger's own template without that
question, so nothing a session sets turns them off; ``pgtrigger.ignore()`` does not work on
them, and nothing in the project uses it.
"""

from __future__ import annotations

import pgtrigger
from pgtrigger import compiler, core


class StrictTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's installation template (v1) without the ``pgtrigger.ignore`` check. Migrations
    refer to this class by its path: keep the name, and never change the template in a way that
    changes the SQL of a trigger already migrated."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class StrictTrigger(pgtrigger.Trigger):
    """A trigger no session setting can switch off."""

    def compile(self, model) -> compiler.Trigger:
        return compiler.Trigger(
            name=self.name,
            sql=StrictTriggerSql(
                pgid=self.get_pgid(model),
                declare=self.render_declare(model),
                func=self.render_func(model),
                table=model._meta.db_table,
                constraint="CONSTRAINT" if self.timing else "",
                when=self.when,
                operation=self.operation,
                timing=f"DEFERRABLE INITIALLY {self.timing}" if self.timing else "",
                referencing=self.referencing or "",
                level=self.level,
                condition=self.render_condition(model),
                execute=self.render_execute(model),
            ),
        )


KEPT = "the record is kept as it was written"
CORRECT_BY_NEW = "Correct it with a new record: a reversing entry, a new step."
OWNER_ONLY = "only the owner of the table may empty it"
NEVER_EMPTIED = "The application role never empties a record table."


def _refusal(what: str, hint: str) -> str:
    # TG_NAME carries the trigger's name (pgtrigger_<name>_<hash>), so the error says which rule refused.
    return (
        f"RAISE EXCEPTION '% refuses % on %: {what}', TG_NAME, TG_OP, TG_TABLE_NAME "
        f"USING ERRCODE = 'P0001', HINT = '{hint}';"
    )


class AppendOnly(StrictTrigger):
    """Refuses UPDATE and DELETE of a row, except the UPDATE that ``allow`` returns from."""

    when = core.Before
    level = core.Row
    operation = core.Update | core.Delete

    def __init__(self, *, name: str, allow: str = "", declare=None):
        self.allow = allow
        super().__init__(name=name, declare=declare)

    def get_func(self, model) -> str:
        allow = f"IF TG_OP = 'UPDATE' THEN {self.allow} END IF;" if self.allow else ""
        return self.format_sql(f"{allow} {_refusal(KEPT, CORRECT_BY_NEW)}")


class NoTruncate(StrictTrigger):
    """Refuses TRUNCATE to every role but the table's owner (see the module's notes)."""

    when = core.Before
    level = core.Statement
    operation = core.Truncate

    def get_func(self, model) -> str:
        return self.format_sql(
            f"""
            IF NOT pg_catalog.pg_has_role(
                current_user,
                (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
                'MEMBER'
            ) THEN
                {_refusal(OWNER_ONLY, NEVER_EMPTIED)}
            END IF;
            RETURN NULL;
            """
        )


def append_only(name: str, *, allow: str = "", declare=None) -> list[StrictTrigger]:
    """The two triggers of a record table: no UPDATE (but ``allow``), no DELETE, no TRUNCATE."""
    return [AppendOnly(name=name, allow=allow, declare=declare), NoTruncate(name=f"{name}_truncate")]


def unchanged_but(*columns: str) -> str:
    """SQL: every column of the row is as it was, except ``columns``."""
    keep = "ARRAY[" + ", ".join(f"'{c}'" for c in columns) + "]::text[]"
    return f"(to_jsonb(NEW) - {keep}) = (to_jsonb(OLD) - {keep})"


def protected_tables(models) -> list[str]:
    """The tables among ``models`` that carry an ``AppendOnly`` trigger: the app role may
    read, insert and (as far as the trigger lets it) update them, never delete from them."""
    return sorted(
        {
            m._meta.db_table
            for m in models
            if any(isinstance(t, AppendOnly) for t in getattr(m._meta, "triggers", None) or [])
        }
    )
