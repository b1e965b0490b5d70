"""What owners may inspect (SPC interpretation on 建筑物区分所有权, art. 13): the covenant, the rules
of procedure, the service contract, decisions and minutes, common-part income, parking disposals
and the fund's raising and use.

Two sorts of document, one list:

* uploaded (``EstateDocument``): a PDF kept by those who run the estate's votes
  (``CONVENE_VOTES``: committee members, community staff) or keep its registry (``CHANGE``),
  stored under a random name; withdrawn, it is kept (staff still see and open it) and hidden
  from owners;
* generated from the records on request (``committees.documents_pdf``): each committee
  meeting's minutes and its decisions, each closed owners' vote's result, and a summary of each
  property-service contract (the registry keeps no file of a contract).

Readers: the estate's owners from their accounts, through the owner record bound to the
account (a co-owner holds the unit as much as the other; a household member holds nothing),
and staff who may view the estate. Never the public. Every opening goes through
``committees.document_views.document``, which writes the audit line ``document_read``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community import access, audit, uploads
from community.locks import lock_one
from community.models import Estate, Owner, Ownership, ServiceContract
from community.pdf import fingerprint
from community.privacy import mask_mobile, mask_name, mask_text
from community.selectors import people_of

from .models import ContractDecision, Decision, DocumentKind, EstateDocument, Meeting, Member, Vote, VoteStatus
from .selectors import DecisionRow, decision_rows, seated

BAD_KIND = _("请选择资料类别。")
NO_TITLE = _("请填写标题。")
TITLE_TOO_LONG = _("标题不能超过 %(n)s 个字。")
NO_DATE = _("请填写资料日期。")
FUTURE_DATE = _("资料日期不能晚于今天。")
NO_FILE = _("请选择要上传的 PDF 文件。")
ALREADY_WITHDRAWN = _("该资料已撤下。")
TITLE_MAX = EstateDocument._meta.get_field("title").max_length

# How an opening names what was opened: an uploaded file, or a document made from the records.
FILE = "file"
MINUTES = "minutes"
DECISIONS = "decisions"
VOTE_RESULT = "vote"
CONTRACT = "contract"
SOURCES = (FILE, MINUTES, DECISIONS, VOTE_RESULT, CONTRACT)
GENERATED = (MINUTES, DECISIONS, VOTE_RESULT, CONTRACT)
READINGS_SHOWN = 50  # the staff page's "who read what"


# --------------------------------------------------------------------------- writes


def may_keep(user, estate: Estate) -> bool:
    """Whether ``user`` may upload and withdraw the estate's documents: those who run its votes
    or keep its registry."""
    return access.can(user, access.CONVENE_VOTES, estate) or access.can(user, access.CHANGE, estate)


def _require_keeper(actor, estate: Estate) -> None:
    if actor is None or not may_keep(actor, estate):
        raise PermissionDenied(access.NOT_ALLOWED)


@transaction.atomic
def upload_document(*, actor, estate: Estate, kind: str, title: str, issued_on: date, file, now=None) -> EstateDocument:
    """Keep a PDF the estate's owners may read. Everything is checked before anything is written:
    a file that is no PDF (whatever its name) is refused and nothing is stored."""
    _require_keeper(actor, estate)
    now = now or timezone.now()
    title = (title or "").strip()
    errors = []
    if kind not in DocumentKind.values:
        errors.append(ValidationError(BAD_KIND))
    if not title:
        errors.append(ValidationError(NO_TITLE))
    elif len(title) > TITLE_MAX:
        errors.append(ValidationError(TITLE_TOO_LONG, params={"n": TITLE_MAX}))
    if not isinstance(issued_on, date):
        errors.append(ValidationError(NO_DATE))
    elif issued_on > timezone.localdate(now):
        errors.append(ValidationError(FUTURE_DATE))
    if not file:
        errors.append(ValidationError(NO_FILE))
    else:
        try:
            uploads.check(file, uploads.DOCUMENT)
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    document = EstateDocument(
        estate=estate, kind=kind, title=title, issued_on=issued_on, uploaded_by=actor, uploaded_at=now
    )
    uploads.store(document.file, file, uploads.DOCUMENT)
    document.save()
    audit.record(
        "document_upload",
        user=actor,
        obj=document,
        detail={"estate": estate.pk, "kind": kind, "issued_on": issued_on.isoformat()},
    )
    return document


@transaction.atomic
def withdraw_document(*, actor, document: EstateDocument, now=None) -> EstateDocument:
    """Hide a document from the owners. It is kept, staff still see it, and the withdrawal is audited."""
    document = lock_one(EstateDocument.objects.select_related("estate"), pk=document.pk)
    _require_keeper(actor, document.estate)
    if document.withdrawn_at is not None:
        raise ValidationError(ALREADY_WITHDRAWN)
    document.withdrawn_at = now or timezone.now()
    document.save(update_fields=["withdrawn_at"])
    audit.record(
        "document_withdraw", user=actor, obj=document, detail={"estate": document.estate_id, "kind": document.kind}
    )
    return document


# --------------------------------------------------------------------------- reads


@dataclass
class Doc:
    """One document as a reader sees it in a list: uploaded or generated."""

    source: str
    pk: int
    estate_id: int
    kind: str
    title: str
    issued_on: date
    obj: object = field(repr=False, default=None)  # the row behind it (EstateDocument, Meeting, Vote, ServiceContract)
    withdrawn_at: datetime | None = None

    @property
    def generated(self) -> bool:
        return self.source in GENERATED

    @property
    def kind_label(self) -> str:
        return DocumentKind(self.kind).label


def _uploaded(document: EstateDocument) -> Doc:
    return Doc(
        FILE,
        document.pk,
        document.estate_id,
        document.kind,
        document.title,
        document.issued_on,
        document,
        document.withdrawn_at,
    )


def _committee_name(meeting: Meeting) -> str:
    return meeting.committee.get_kind_display()


def _minutes(meeting: Meeting) -> Doc:
    title = _("%(committee)s会议记录（%(day)s）") % {"committee": _committee_name(meeting), "day": meeting.held_on}
    return Doc(MINUTES, meeting.pk, meeting.committee.estate_id, DocumentKind.MINUTES, title, meeting.held_on, meeting)


def _decisions(meeting: Meeting) -> Doc:
    title = _("%(committee)s会议决定（%(day)s）") % {"committee": _committee_name(meeting), "day": meeting.held_on}
    return Doc(
        DECISIONS, meeting.pk, meeting.committee.estate_id, DocumentKind.DECISION, title, meeting.held_on, meeting
    )


def vote_day(vote: Vote) -> date:
    return timezone.localdate(vote.closed_at or vote.closes_at)


def _vote(vote: Vote) -> Doc:
    title = _("业主大会表决结果：%(question)s") % {"question": vote.question}
    return Doc(VOTE_RESULT, vote.pk, vote.estate_id, DocumentKind.DECISION, title, vote_day(vote), vote)


def _contract(contract: ServiceContract) -> Doc:
    title = _("物业服务合同摘要：%(company)s（%(start)s 至 %(end)s）") % {
        "company": contract.company.name,
        "start": contract.starts_on,
        "end": contract.last_day,
    }
    return Doc(
        CONTRACT, contract.pk, contract.estate_id, DocumentKind.SERVICE_CONTRACT, title, contract.starts_on, contract
    )


def _meetings():
    return Meeting.objects.select_related("committee").annotate(
        has_decisions=Exists(Decision.objects.filter(meeting=OuterRef("pk")))
    )


def documents_of(estate_ids, *, withdrawn: bool = False) -> dict[int, list[Doc]]:
    """{estate pk: [Doc, ...]} for the estates ``estate_ids`` (a list or a subquery), newest first:
    the uploaded documents (withdrawn ones too when ``withdrawn``) and the generated ones. Four
    queries, whatever the number of estates and documents."""
    found: dict[int, list[Doc]] = defaultdict(list)
    uploaded = EstateDocument.objects.filter(estate__in=estate_ids)
    if not withdrawn:
        uploaded = uploaded.filter(withdrawn_at__isnull=True)
    for document in uploaded:
        found[document.estate_id].append(_uploaded(document))
    for meeting in _meetings().filter(committee__estate__in=estate_ids):
        if meeting.minutes:
            found[meeting.committee.estate_id].append(_minutes(meeting))
        if meeting.has_decisions:
            found[meeting.committee.estate_id].append(_decisions(meeting))
    for vote in Vote.objects.filter(estate__in=estate_ids, status=VoteStatus.CLOSED, result__isnull=False):
        found[vote.estate_id].append(_vote(vote))
    for contract in ServiceContract.objects.filter(estate__in=estate_ids).select_related("company"):
        found[contract.estate_id].append(_contract(contract))
    for docs in found.values():
        docs.sort(key=lambda d: (d.issued_on, d.source, d.pk), reverse=True)
    return found


def grouped(docs: list[Doc]) -> list[tuple[str, list[Doc]]]:
    """[(kind label, docs newest first)] in the order of ``DocumentKind``, kinds with no document left out."""
    by_kind = defaultdict(list)
    for doc in docs:
        by_kind[doc.kind].append(doc)
    return [(kind.label, by_kind[kind.value]) for kind in DocumentKind if by_kind[kind.value]]


def held_estates(owner: Owner, on: date | None = None):
    """The estates where ``owner`` holds a unit in force (alone or as a co-owner), by code."""
    held = Ownership.objects.in_force(on).filter(owner=owner).values("unit__building__estate")
    return Estate.objects.filter(pk__in=held).order_by("code")


def owner_of(user) -> Owner | None:
    """The owner record bound to the account, or None (staff, household members, the public)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "owner", None)


def for_owner(owner: Owner) -> list[tuple[Estate, list[tuple[str, list[Doc]]]]]:
    """The owner's page: each estate where they hold a unit, its documents by kind, newest first.
    Withdrawn documents are not there. Five queries."""
    estates = list(held_estates(owner))
    docs = documents_of([e.pk for e in estates]) if estates else {}
    return [(estate, grouped(docs.get(estate.pk, []))) for estate in estates]


def for_estate(estate: Estate) -> list[tuple[str, list[Doc]]]:
    """The staff page: the estate's documents by kind, withdrawn ones too."""
    return grouped(documents_of([estate.pk], withdrawn=True).get(estate.pk, []))


def _find(source: str, pk: int) -> Doc | None:
    """The document ``source``/``pk`` with its estate, or None when there is no such document."""
    if source == FILE:
        document = EstateDocument.objects.filter(pk=pk).first()
        return _uploaded(document) if document else None
    if source in (MINUTES, DECISIONS):
        meeting = _meetings().filter(pk=pk).first()
        if meeting is None:
            return None
        if source == MINUTES:
            return _minutes(meeting) if meeting.minutes else None
        return _decisions(meeting) if meeting.has_decisions else None
    if source == VOTE_RESULT:
        vote = (
            Vote.objects.filter(pk=pk, status=VoteStatus.CLOSED, result__isnull=False).select_related("estate").first()
        )
        return _vote(vote) if vote else None
    if source == CONTRACT:
        contract = ServiceContract.objects.filter(pk=pk).select_related("company").first()
        return _contract(contract) if contract else None
    return None


def readable(user, source: str, pk: int, on: date | None = None) -> tuple[Doc, str] | None:
    """The document and the capacity ("owner" or "staff") in which ``user`` may open it, or None:
    staff who may view its estate (a withdrawn document too); an owner holding a unit in force in
    its estate (never a withdrawn one); nobody else."""
    if not user.is_authenticated:
        return None
    doc = _find(source, pk)
    if doc is None:
        return None
    estate = Estate(pk=doc.estate_id)
    owner = owner_of(user)
    if owner is not None and doc.withdrawn_at is None:
        if Ownership.objects.in_force(on).filter(owner=owner, unit__building__estate=estate).exists():
            return doc, "owner"
    if access.can(user, access.VIEW, estate):
        return doc, "staff"
    return None


def may_see_readings(user, estate: Estate) -> bool:
    """Who read what is for those who run or oversee the estate (its keepers, and staff who see
    personal data there); not for the property company, whose contract and income owners inspect."""
    return may_keep(user, estate) or access.can(user, access.PERSONAL, estate)


@dataclass(frozen=True)
class Reading:
    at: datetime
    reader: str
    capacity: str
    kind: str
    title: str


def _reader(event, full: bool) -> str:
    user = event.user
    name = (user.get_full_name() if user is not None else "") or ""
    username = event.username
    if full:
        return f"{name}（{username}）" if name and name != username else username
    if name:
        return mask_name(name)
    return mask_mobile(username) if username.isdigit() else mask_name(username)


def readings(user, estate: Estate, *, limit: int = READINGS_SHOWN) -> list[Reading]:
    """The last openings of the estate's documents, newest first; readers' names masked for
    a user without ``PERSONAL`` on the estate. Empty for a user who may not see them."""
    if not may_see_readings(user, estate):
        return []
    full = access.can(user, access.PERSONAL, estate)
    capacity = {"owner": str(_("业主")), "staff": str(_("工作人员"))}
    rows = []
    for event in audit.latest("document_read", detail={"estate": estate.pk}, limit=limit):
        detail = event.detail or {}
        kind = detail.get("kind", "")
        rows.append(
            Reading(
                at=event.at,
                reader=_reader(event, full),
                capacity=capacity.get(detail.get("as"), ""),
                kind=DocumentKind(kind).label if kind in DocumentKind.values else kind,
                title=detail.get("title") or event.object_repr,
            )
        )
    return rows


def keepable(estate_pk: int, pk) -> EstateDocument | None:
    """One uploaded document of the estate, for the withdraw button (the service checks the actor)."""
    if not str(pk).isdigit():
        return None
    return EstateDocument.objects.filter(pk=int(pk), estate_id=estate_pk).select_related("estate").first()


# --------------------------------------------------------------------------- generated documents
# What each generated PDF shows, built here from the records and printed by documents_pdf. Names
# are masked (RULES.md §6), but for the committee members' names in the minutes: they act there
# publicly, as members. Mobiles and ID numbers typed into free text are masked everywhere.


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[list[str]] | None = None  # the first row is the header


@dataclass
class Printable:
    title: str
    estate: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    note: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            {
                "title": self.title,
                "estate": self.estate,
                "facts": self.facts,
                "sections": [(s.heading, s.paragraphs, s.table) for s in self.sections],
            }
        )


def _day(value) -> str:
    return value.isoformat() if value else "—"


def _yes_no(value: bool) -> str:
    return str(_("是")) if value else str(_("否"))


def _outcome_of(row: DecisionRow) -> str:
    """Adopted; listed by enough members but not yet confirmed by enough of them in their own
    hand; or not adopted."""
    if row.decision.adopted:
        return str(_("通过"))
    if row.waiting:
        return str(_("待委员本人确认（已确认 %(n)s / 需 %(m)s）") % {"n": row.confirmed, "m": row.needed})
    return str(_("未通过"))


def minutes_printable(meeting: Meeting) -> Printable:
    committee = meeting.committee
    estate = committee.estate
    members = list(Member.objects.filter(committee=committee).select_related("owner"))
    member_names = {m.owner.name for m in members}
    masked = [n for n in people_of(estate) if n not in member_names]
    present = [m for m in members if m.pk in set(meeting.present.values_list("pk", flat=True))]
    seated = [m for m in members if m.left_on is None]
    facts = [
        (str(_("委员会")), f"{estate.name}{committee.get_kind_display()}"),
        (str(_("会议日期")), _day(meeting.held_on)),
        (str(_("议题公告日期")), _day(meeting.agenda_posted_on)),
        (str(_("在任委员")), str(len(seated))),
        (str(_("出席委员")), "、".join(f"{m.owner.name}（{m.get_role_display()}）" for m in present) or "—"),
        (str(_("记录已由出席委员签字")), _yes_no(meeting.minutes_signed)),
    ]
    sections = [
        Section(str(_("议题")), mask_text(meeting.agenda, masked).splitlines()),
        Section(str(_("会议记录")), mask_text(meeting.minutes, masked).splitlines()),
    ]
    rows = decision_rows(meeting, total=len(seated))
    if rows:
        table = [[str(_("决定事项")), str(_("本人确认同意的委员")), str(_("结果"))]]
        for row in rows:
            names = "、".join(sorted(c.member.owner.name for c in row.consents if c.confirmed_at is not None)) or "—"
            table.append([mask_text(row.decision.text, masked), names, _outcome_of(row)])
        sections.append(Section(str(_("会议决定")), table=table))
    note = "" if meeting.minutes_signed else str(_("本记录尚未经出席委员签字确认。"))
    title = str(
        _("%(estate)s%(committee)s会议记录") % {"estate": estate.name, "committee": committee.get_kind_display()}
    )
    return Printable(title, estate.name, facts, sections, note)


def decisions_printable(meeting: Meeting) -> Printable:
    committee = meeting.committee
    estate = committee.estate
    people = people_of(estate)
    present = meeting.present.count()
    facts = [
        (str(_("委员会")), f"{estate.name}{committee.get_kind_display()}"),
        (str(_("会议日期")), _day(meeting.held_on)),
        (str(_("出席委员人数")), str(present)),
    ]
    table = [[str(_("决定事项")), str(_("本人确认同意人数")), str(_("结果")), str(_("公告日期")), str(_("被撤销日期"))]]
    for row in decision_rows(meeting, total=seated(committee).count()):
        table.append(
            [
                mask_text(row.decision.text, people),
                str(row.confirmed),
                _outcome_of(row),
                _day(row.decision.posted_on),
                _day(row.decision.revoked_on),
            ]
        )
    title = str(
        _("%(estate)s%(committee)s会议决定") % {"estate": estate.name, "committee": committee.get_kind_display()}
    )
    return Printable(title, estate.name, facts, [Section(str(_("决定")), table=table)])


def _outcome(result: dict) -> str:
    if result.get("decided"):
        return str(_("通过"))
    if not result.get("quorum_met"):
        return str(_("未达到参与表决的法定比例"))
    return str(_("未获通过"))


def contract_printable(contract: ServiceContract) -> Printable:
    estate = contract.estate
    today = timezone.localdate()
    facts = [
        (str(_("小区")), estate.name),
        (str(_("物业服务企业")), contract.company.name),
        (str(_("统一社会信用代码")), contract.company.uscc or "—"),
        (str(_("收费方式")), contract.get_mode_display()),
        (str(_("起始日期")), _day(contract.starts_on)),
        (str(_("约定终止日期")), _day(contract.ends_on)),
        (str(_("提前终止日期")), _day(contract.terminated_on)),
        (
            str(_("目前状态")),
            str(_("履行中")) if contract.starts_on <= today <= contract.last_day else str(_("未在履行期内")),
        ),
    ]
    decisions = ContractDecision.objects.filter(contract=contract).select_related("vote").order_by("kind")
    lines = [
        str(_("%(kind)s：业主大会表决“%(question)s”（%(day)s 结束，%(outcome)s）"))
        % {
            "kind": d.get_kind_display(),
            "question": d.vote.question,
            "day": vote_day(d.vote),
            "outcome": _outcome(d.vote.result or {}),
        }
        for d in decisions
    ] or [str(_("登记中没有与本合同关联的业主大会表决。"))]
    note = str(_("本摘要根据登记信息生成，不是合同全文；合同全文上传后可在同一列表中查阅。"))
    title = str(_("物业服务合同摘要"))
    return Printable(title, estate.name, facts, [Section(str(_("选聘或解聘依据")), lines)], note)


def printable(doc: Doc) -> Printable:
    """What the generated document ``doc`` shows (``readable`` has checked the reader)."""
    if doc.source == MINUTES:
        return minutes_printable(Meeting.objects.select_related("committee__estate").get(pk=doc.pk))
    if doc.source == DECISIONS:
        return decisions_printable(Meeting.objects.select_related("committee__estate").get(pk=doc.pk))
    if doc.source == CONTRACT:
        return contract_printable(ServiceContract.objects.select_related("estate", "company").get(pk=doc.pk))
    raise ValueError(doc.source)
