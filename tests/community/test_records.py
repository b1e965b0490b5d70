"""What the record triggers are, checked on any database: which tables carry them, and that none
of them can be switched off by a session setting (the PostgreSQL proof is in test_db_roles.py)."""

from django.apps import apps

from community import records

KEPT = {
    "api_tombstone",
    "committees_ballot",
    "committees_committeeevent",
    "committees_consent",
    "committees_filingreview",
    "committees_proposalsupport",
    "community_auditevent",
    "community_numbersequence",
    "community_selfmanagementperiod",
    "community_servicecontract",
    "fees_allocation",
    "fees_expenditure",
    "fees_fundusestep",
    "fees_ledgerentry",
    "fees_payment",
    "fees_statement",
    "grid_gridcasestep",
    "grid_casephoto",
    "mediation_casestep",
    "residents_binding",
    "residents_bindingletter",
    "supervision_assessment",
    "supervision_inspection",
    "supervision_objection",
    "supervision_score",
}


def test_every_record_table_is_kept_by_the_strict_triggers():
    assert set(records.protected_tables(apps.get_models())) == KEPT


def test_no_trigger_of_the_project_consults_pgtrigger_ignore():
    """pgtrigger.Protect asks _pgtrigger_should_ignore(), which any role can steer with
    SET pgtrigger.ignore; every trigger here is compiled without that question."""
    for model in apps.get_models():
        for trigger in getattr(model._meta, "triggers", None) or []:
            assert isinstance(trigger, records.StrictTrigger), f"{model._meta.label}: {trigger.name}"
            sql = trigger.compile(model).install_sql
            assert "pgtrigger_should_ignore" not in sql and "pgtrigger.ignore" not in sql
            assert "RAISE EXCEPTION" in sql


def test_a_table_is_emptied_only_by_its_owner_and_each_record_table_refuses_truncate():
    for model in apps.get_models():
        triggers = getattr(model._meta, "triggers", None) or []
        if any(isinstance(t, records.AppendOnly) for t in triggers):
            truncate = [t for t in triggers if isinstance(t, records.NoTruncate)]
            assert len(truncate) == 1, model._meta.label
            assert "pg_has_role" in truncate[0].compile(model).install_sql
