from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    name = "committees"
    verbose_name = _("业委会与考试")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from community import access

        from .models import Attempt, Committee, ExamSession, Meeting, PartyBranch, Training, Vote

        access.register_child(ExamSession, "community")
        access.register_child(Training, "community")
        access.register_child(Committee, "estate")
        access.register_child(Attempt, "session")
        access.register_child(Vote, "estate")
        access.register_child(Meeting, "committee")
        access.register_child(PartyBranch, "estate")

        from community.tenure.selectors import register_contract_notes

        from .votes.selectors import contract_notes

        register_contract_notes(contract_notes)  # the estate page shows the vote behind each contract

        from cms.panels import register_contact
        from community.models import Estate

        from .selectors import public_contacts

        register_contact(Estate, public_contacts)  # the estate's public page names its committee

        from community.backup import register_fingerprint_check

        from .exams.selectors import certificate_fingerprints

        register_fingerprint_check(_("考试合格证书"), certificate_fingerprints)

        # The committees' legal deadlines join the one duty list (community.duties).
        from community import duties

        from .duties import PERM
        from .duties import source as committee_duties

        duties.register(committee_duties, perms=(PERM,))

        # A result or decision notice's first publication is its posting day (Wagtail's signal,
        # so a notice published in the editor counts too); revoked decisions are marked on the
        # public notice lists.
        from wagtail.signals import page_published

        from cms.marks import register_notice_marks
        from cms.models import NoticePage

        from .decisions import selectors as decision_selectors

        page_published.connect(_posted, sender=NoticePage, dispatch_uid="committees.decisions.posted")
        register_notice_marks(decision_selectors.marks_for_notices)

        from community import pagecache

        from .models import Vote

        # A revocation marks notices wherever they are listed: rare, so the whole public site is read again.
        pagecache.watch(Vote, _revoked_scope)

        from . import consents
        from . import services as life
        from .models import Decision

        pagecache.watch(Decision, _revoked_scope)

        # A committee decision takes effect when enough members have confirmed their agreement.
        consents.register(
            Decision,
            consents.Kind(
                label=_("委员会决定"),
                waiting=life.decision_waiting,
                describe=life.describe_decision,
                settle=life.settle_decision,
            ),
        )


def _posted(sender, instance, **kwargs):
    from .decisions.services import record_posting

    record_posting(instance)


def _revoked_scope(record):
    from community import pagecache

    return pagecache.SITE if record.revoked_on else None
