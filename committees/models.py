"""The pre-filing training exam: question bank, sessions, attempts, certificates."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community import records
from community.models import Community, Owner, Tracked


class Topic(models.TextChoices):
    VOTES = "votes", _("业主共同决定与表决")
    COMMITTEE = "committee", _("业主大会与业主委员会")
    FUND = "fund", _("专项维修资金")
    FEES = "fees", _("物业服务收费")
    MEDIATION = "mediation", _("人民调解")
    PRIVACY = "privacy", _("个人信息保护")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "true_false", _("判断题")


class Question(models.Model):
    kind = models.CharField(_("题型"), max_length=20, choices=QuestionKind.choices)
    topic = models.CharField(_("主题"), max_length=20, choices=Topic.choices)
    text = models.TextField(_("题干"))
    source = models.CharField(_("法律依据"), max_length=100, help_text=_("例如：民法典第278条"))
    explanation = models.TextField(_("解析"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["topic", "id"]
        constraints = [models.UniqueConstraint(fields=["text"], name="question_text_unique")]

    def __str__(self):
        return self.text[:40]


class Option(models.Model):
    question = models.ForeignKey(Question, verbose_name=_("试题"), on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("选项"), max_length=300)
    correct = models.BooleanField(_("正确"), default=False)

    class Meta:
        verbose_name = _("选项")
        verbose_name_plural = _("选项")
        ordering = ["question", "id"]

    def __str__(self):
        return self.text


class ExamSession(models.Model):
    """A sitting organised by a community (or its street's staff) with enrolled candidates.

    Duration, pass mark and retake rules are copied from the rule set when the
    session is scheduled, so a later change to the rules never alters a sitting.
    """

    community = models.ForeignKey(
        Community, verbose_name=_("组织社区"), on_delete=models.PROTECT, related_name="exam_sessions"
    )
    title = models.CharField(_("名称"), max_length=100)
    opens_at = models.DateTimeField(_("开考时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    place = models.CharField(_("地点"), max_length=100, blank=True, help_text=_("线上考试留空。"))
    blueprint = models.JSONField(_("组卷方案"), help_text=_('每个主题的题数，如 {"votes": 5}。'))
    partial_credit = models.BooleanField(_("多选题部分得分"), default=False)
    duration_minutes = models.PositiveIntegerField(_("时长（分钟）"))
    pass_percent = models.PositiveSmallIntegerField(_("及格分（百分制）"))
    retake_limit = models.PositiveSmallIntegerField(_("补考次数"))
    retake_wait_days = models.PositiveSmallIntegerField(_("补考等待（日）"))
    candidates = models.ManyToManyField(Owner, verbose_name=_("考生"), related_name="exam_sessions", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("考试场次")
        verbose_name_plural = _("考试场次")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="exam_session_closes_after_opening"
            ),
            models.CheckConstraint(condition=Q(pass_percent__lte=100), name="exam_pass_percent_at_most_100"),
        ]

    def __str__(self):
        return self.title

    @property
    def question_count(self) -> int:
        return sum(self.blueprint.values())


class Attempt(models.Model):
    session = models.ForeignKey(ExamSession, verbose_name=_("场次"), on_delete=models.PROTECT, related_name="attempts")
    candidate = models.ForeignKey(Owner, verbose_name=_("考生"), on_delete=models.PROTECT, related_name="exam_attempts")
    number = models.PositiveSmallIntegerField(_("第几次"))
    seed = models.BigIntegerField(_("组卷种子"))
    paper = models.JSONField(_("试卷"))
    started_at = models.DateTimeField(_("开始时间"))
    deadline = models.DateTimeField(_("截止时间"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    auto_submitted = models.BooleanField(_("到时自动交卷"), default=False)
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(_("百分制得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "candidate", "number"], name="attempt_number_unique"),
            models.UniqueConstraint(
                fields=["candidate"], condition=Q(submitted_at__isnull=True), name="one_open_attempt_per_candidate"
            ),
        ]

    def __str__(self):
        return f"{self.candidate} · {self.session} · {self.number}"

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, verbose_name=_("答卷"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("试题"), on_delete=models.PROTECT, related_name="+")
    chosen = models.JSONField(_("所选选项"), default=list)
    answered_at = models.DateTimeField(_("作答时间"))

    class Meta:
        verbose_name = _("作答")
        verbose_name_plural = _("作答")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]

    def __str__(self):
        return f"{self.attempt_id}/{self.question_id}"


class Certificate(models.Model):
    """Issued once per passing attempt. Its fingerprint is recomputed from these rows on verification."""

    attempt = models.OneToOneField(
        Attempt, verbose_name=_("答卷"), on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("证书编号"), max_length=30, unique=True)
    issued_on = models.DateField(_("发证日期"))

    class Meta:
        verbose_name = _("合格证书")
        verbose_name_plural = _("合格证书")
        ordering = ["-issued_on", "-number"]

    def __str__(self):
        return self.number


class Training(models.Model):
    """A training session; each attendee's record of them is part of the committee's filing."""

    community = models.ForeignKey(
        Community, verbose_name=_("组织社区"), on_delete=models.PROTECT, related_name="trainings"
    )
    topic = models.CharField(_("培训主题"), max_length=200)
    held_on = models.DateField(_("培训日期"))
    trainer = models.CharField(_("主讲人"), max_length=100)
    place = models.CharField(_("地点"), max_length=100)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, default=2)
    attendees = models.ManyToManyField(Owner, verbose_name=_("参训人员"), related_name="trainings", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-held_on"]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive")]

    def __str__(self):
        return f"{self.held_on} {self.topic}"


# --------------------------------------------------------------------------- owners' votes


class Matter(models.IntegerChoices):
    """The nine matters of Civil Code art. 278."""

    PROCEDURE_RULES = 1, _("制定和修改业主大会议事规则")
    COVENANT = 2, _("制定和修改管理规约")
    COMMITTEE = 3, _("选举业主委员会或者更换业主委员会成员")
    MANAGER = 4, _("选聘和解聘物业服务企业或者其他管理人")
    FUND_USE = 5, _("使用建筑物及其附属设施的维修资金")
    FUND_RAISE = 6, _("筹集建筑物及其附属设施的维修资金")
    REBUILD = 7, _("改建、重建建筑物及其附属设施")
    COMMON_USE = 8, _("改变共有部分的用途或者利用共有部分从事经营活动")
    OTHER = 9, _("有关共有和共同管理权利的其他重大事项")


class VoteStatus(models.TextChoices):
    OPEN = "open", _("表决中")
    CLOSED = "closed", _("已结束")


class Vote(models.Model):
    estate = models.ForeignKey(
        "community.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="votes"
    )
    matter = models.PositiveSmallIntegerField(_("表决事项"), choices=Matter.choices)
    question = models.CharField(_("表决内容"), max_length=300)
    buildings = models.ManyToManyField(
        "community.Building", verbose_name=_("表决范围（楼栋）"), blank=True, help_text=_("不选则为全体业主。")
    )
    units = models.ManyToManyField(
        "community.Unit",
        verbose_name=_("表决范围（房屋）"),
        blank=True,
        related_name="+",
        help_text=_("只涉及部分房屋的事项（如维修资金分摊范围），只由这些房屋的业主表决。"),
    )
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=10, choices=VoteStatus.choices, default=VoteStatus.OPEN)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    convened_at = models.DateTimeField(_("召集时间"), auto_now_add=True)
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(_("表决结果"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("结束计票时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_notice = models.ForeignKey(
        "cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seats = models.PositiveSmallIntegerField(
        _("应选名额"), null=True, blank=True, help_text=_("选举业主委员会时填写；业主在候选人中选择，不超过应选名额。")
    )
    result_posted_on = models.DateField(_("结果公告日期"), null=True, blank=True)
    revoked_on = models.DateField(_("被撤销日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("业主表决")
        verbose_name_plural = _("业主表决")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="vote_closes_after_opening"),
            models.CheckConstraint(condition=Q(seats=None) | Q(matter=3), name="vote_seats_only_for_elections"),
        ]

    def __str__(self):
        return self.question

    @property
    def is_election(self) -> bool:
        return self.seats is not None


class Ballot(models.Model):
    """One ballot per holder (an owner, a co-ownership, or the developer). The database refuses a second."""

    vote = models.ForeignKey(Vote, verbose_name=_("表决"), on_delete=models.PROTECT, related_name="ballots")
    holder = models.CharField(
        _("表决权人"), max_length=200, help_text=_("业主编号；共有人为逗号分隔的编号；开发建设单位为 developer。")
    )
    choice = models.CharField(
        _("意见"), max_length=10, choices=[("yes", _("同意")), ("no", _("反对")), ("abstain", _("弃权"))]
    )
    cast_by = models.ForeignKey(
        Owner, verbose_name=_("投票人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("纸质表决票由工作人员录入时记录录入人。"),
    )
    cast_at = models.DateTimeField(_("投票时间"))
    candidates = models.JSONField(
        _("支持的候选人"), default=list, blank=True, help_text=_("选举时：所支持候选人的编号，不超过应选名额。")
    )
    proxy = models.ForeignKey(
        "Proxy", verbose_name=_("委托"), null=True, blank=True, on_delete=models.PROTECT, related_name="ballots"
    )

    class Meta:
        verbose_name = _("表决票")
        verbose_name_plural = _("表决票")
        constraints = [models.UniqueConstraint(fields=["vote", "holder"], name="one_ballot_per_holder")]
        # A ballot is final, but for the one correction cast_ballot allows: the owner replacing the
        # paper ballot staff entered for them, while the vote is open.
        triggers = records.append_only(
            "ballot_append_only",
            declare=[("vote_status", "TEXT")],
            allow=(
                "IF OLD.entered_by_id IS NOT NULL AND NEW.cast_by_id IS NOT NULL"
                f" AND {records.unchanged_but('choice', 'cast_by_id', 'cast_at', 'candidates', 'proxy_id')} THEN"
                " EXECUTE format('SELECT status FROM %I.committees_vote WHERE id = $1', TG_TABLE_SCHEMA)"
                " INTO vote_status USING OLD.vote_id;"
                " IF vote_status = 'open' THEN RETURN NEW; END IF;"
                " END IF;"
            ),
        )

    def __str__(self):
        return f"{self.vote_id}/{self.holder}: {self.get_choice_display()}"


class ServiceMethod(models.TextChoices):
    POSTING = "posting", _("张贴")
    IN_PERSON = "in_person", _("当面送达")


class VoteService(models.Model):
    """Notice of a vote served on paper to an owner no channel reached (送达): how, when, by whom,
    with the photo of the posted notice. One record per owner and vote."""

    vote = models.ForeignKey(Vote, verbose_name=_("表决"), on_delete=models.PROTECT, related_name="services")
    owner = models.ForeignKey(Owner, verbose_name=_("业主"), on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("送达方式"), max_length=10, choices=ServiceMethod.choices)
    photo = models.ImageField(_("张贴照片"), upload_to="votes/service/%Y/%m/", max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    served_on = models.DateField(_("送达日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("书面送达记录")
        verbose_name_plural = _("书面送达记录")
        ordering = ["-served_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "owner"], name="one_service_per_owner_and_vote"),
            models.CheckConstraint(
                condition=~Q(method="posting") | ~Q(photo=""), name="vote_service_posting_has_photo"
            ),
        ]

    def __str__(self):
        return f"{self.vote_id}/{self.owner_id}: {self.get_method_display()}"


# --------------------------------------------------------------------------- committees


class CommitteeKind(models.TextChoices):
    OWNERS = "owners", _("业主委员会")
    SELF_MANAGEMENT = "self", _("业主自管会")


class CommitteeStatus(models.TextChoices):
    ELECTED = "elected", _("已选举，待备案")
    FILING = "filing", _("备案审查中")
    RETURNED = "returned", _("退回补正")
    FILED = "filed", _("已备案")
    CHANGED = "changed", _("已变更，待重新备案")
    ENDED = "ended", _("已换届")
    DISSOLVED = "dissolved", _("已解散")


class Committee(Tracked):
    """An owners' committee or self-management committee. Its status moves only through
    committees.services, whose TRANSITIONS table is the only one there is."""

    estate = models.ForeignKey(
        "community.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="committees"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=CommitteeKind.choices, default=CommitteeKind.OWNERS)
    status = models.CharField(
        _("状态"), max_length=10, choices=CommitteeStatus.choices, default=CommitteeStatus.ELECTED
    )
    election_vote = models.ForeignKey(Vote, verbose_name=_("选举表决"), on_delete=models.PROTECT, related_name="+")
    elected_on = models.DateField(_("选举日期"))
    term_ends_on = models.DateField(_("任期届满"))
    first_meeting_on = models.DateField(_("首次会议日期"), null=True, blank=True)
    covenant = models.BooleanField(_("已提交管理规约"), default=False)
    procedure_rules = models.BooleanField(_("已提交议事规则"), default=False)
    review_note = models.TextField(_("审查意见"), blank=True)
    changed_on = models.DateField(_("备案事项变更日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("业主委员会")
        verbose_name_plural = _("业主委员会")
        ordering = ["-elected_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_ends_on__gt=models.F("elected_on")), name="committee_term_after_election"
            ),
        ]

    def __str__(self):
        return f"{self.estate} {self.get_kind_display()}（{self.elected_on:%Y}）"


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("主任")
    VICE_CHAIR = "vice_chair", _("副主任")
    MEMBER = "member", _("委员")


class Member(models.Model):
    committee = models.ForeignKey(Committee, verbose_name=_("委员会"), on_delete=models.CASCADE, related_name="members")
    owner = models.ForeignKey(Owner, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="committee_seats")
    role = models.CharField(_("职务"), max_length=12, choices=MemberRole.choices, default=MemberRole.MEMBER)
    undertaking_signed = models.BooleanField(_("已签书面承诺"), default=False)
    left_on = models.DateField(_("离任日期"), null=True, blank=True)
    left_reason = models.CharField(_("离任原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("委员")
        verbose_name_plural = _("委员")
        constraints = [
            models.UniqueConstraint(fields=["committee", "owner"], name="one_seat_per_owner"),
            models.UniqueConstraint(
                fields=["committee"], condition=Q(role="chair", left_on=None), name="one_chair_per_committee"
            ),
        ]

    def __str__(self):
        return f"{self.owner} · {self.get_role_display()}"


class CommitteeEvent(models.Model):
    """Who moved a committee from one status to another, when, and why."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True, choices=CommitteeStatus.choices)
    to_status = models.CharField(max_length=10, choices=CommitteeStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        triggers = records.append_only("committee_event_append_only")

    def __str__(self):
        return f"{self.committee_id}: {self.from_status or '—'} → {self.to_status}"


class Meeting(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name=_("委员会"), on_delete=models.PROTECT, related_name="meetings"
    )
    held_on = models.DateField(_("会议日期"))
    agenda = models.TextField(_("议题"))
    agenda_posted_on = models.DateField(_("议题公告日期"))
    present = models.ManyToManyField(Member, verbose_name=_("出席委员"), related_name="meetings_attended", blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)
    minutes_signed = models.BooleanField(_("记录已由出席委员签字"), default=False)

    class Meta:
        verbose_name = _("委员会会议")
        verbose_name_plural = _("委员会会议")
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.agenda[:30]}"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("决定事项"))
    adopted = models.BooleanField(_("通过"))
    notice = models.ForeignKey("cms.NoticePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    posted_on = models.DateField(_("公告日期"), null=True, blank=True)
    revoked_on = models.DateField(_("被撤销日期"), null=True, blank=True)
    # The seated members at the meeting, frozen there: the share is measured against them, however
    # many are seated when the last member confirms.
    members_total = models.PositiveSmallIntegerField(_("决定时委员总数"), null=True, blank=True)
    # The day it took effect: the meeting's day, or the day the confirmation that completed it came.
    adopted_on = models.DateField(_("生效日期"), null=True, blank=True)
    # The members in favour, each in their own hand (committees.consents): it takes effect only when
    # enough of them have confirmed.
    consents = GenericRelation("Consent", content_type_field="subject_type", object_id_field="subject_id")

    class Meta:
        verbose_name = _("委员会决定")
        verbose_name_plural = _("委员会决定")

    def __str__(self):
        return self.text[:50]


class MotionKind(models.TextChoices):
    REMOVE_MEMBER = "remove", _("罢免委员")
    DISSOLVE = "dissolve", _("解散委员会")


class MotionStatus(models.TextChoices):
    PROPOSED = "proposed", _("已提议，待业主表决")
    CARRIED = "carried", _("业主表决通过，已执行")
    REJECTED = "rejected", _("业主表决未通过")


class Motion(models.Model):
    """A proposal to remove a member or dissolve the committee, by enough members or owners
    (RULES.md §2), which the owners then decide by a vote on matter 3."""

    committee = models.ForeignKey(Committee, verbose_name=_("委员会"), on_delete=models.PROTECT, related_name="motions")
    kind = models.CharField(_("提议事项"), max_length=10, choices=MotionKind.choices)
    member = models.ForeignKey(
        Member, verbose_name=_("被提议罢免的委员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.TextField(_("理由"))
    proposed_on = models.DateField(_("提议日期"))
    proposing_members = models.ManyToManyField(Member, verbose_name=_("提议委员"), blank=True, related_name="+")
    proposing_owners = models.ManyToManyField(Owner, verbose_name=_("提议业主"), blank=True, related_name="+")
    support = models.JSONField(_("提议人占比"), editable=False, default=dict)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=MotionStatus.choices, default=MotionStatus.PROPOSED)
    vote = models.OneToOneField(
        Vote, verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="motion"
    )

    class Meta:
        verbose_name = _("罢免或解散提议")
        verbose_name_plural = _("罢免或解散提议")
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="remove", member__isnull=False) | Q(kind="dissolve", member__isnull=True),
                name="motion_names_member_only_for_removal",
            ),
        ]

    def __str__(self):
        return f"{self.committee} · {self.get_kind_display()}"


# --------------------------------------------------------------------------- red steward (红色管家)


class PartyBranch(models.Model):
    """An estate's party branch. Its oversight is one recorded step: a review before the
    committee puts a major matter (the rule set's branch_review_matters) to the owners."""

    estate = models.OneToOneField(
        "community.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="party_branch"
    )
    name = models.CharField(_("党支部名称"), max_length=100)
    founded_on = models.DateField(_("成立日期"))

    class Meta:
        verbose_name = _("小区党支部")
        verbose_name_plural = _("小区党支部")

    def __str__(self):
        return self.name


class BranchRole(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY = "deputy", _("副书记")
    MEMBER = "member", _("党员")


class BranchMember(models.Model):
    branch = models.ForeignKey(PartyBranch, verbose_name=_("党支部"), on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    owner = models.ForeignKey(
        Owner,
        verbose_name=_("对应业主"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branch_seats",
        help_text=_("党员同时是本小区业主时关联，用于识别与业主委员会的交叉任职。"),
    )
    role = models.CharField(_("职务"), max_length=10, choices=BranchRole.choices, default=BranchRole.MEMBER)
    # A member who leaves keeps their row with the day they left (as a committee member does),
    # so the branch's history stays; only members with no left_on are in the branch now.
    left_on = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("党支部成员")
        verbose_name_plural = _("党支部成员")
        constraints = [
            models.UniqueConstraint(
                fields=["branch"], condition=Q(role="secretary", left_on=None), name="one_secretary_per_branch"
            ),
            models.UniqueConstraint(
                fields=["branch", "owner"], condition=Q(left_on=None), name="one_branch_seat_per_owner"
            ),
        ]

    def __str__(self):
        return f"{self.name} · {self.get_role_display()}"


class BranchReview(models.Model):
    """The branch's recorded opinion on a major matter before it goes to the owners' vote."""

    branch = models.ForeignKey(PartyBranch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="reviews")
    matter = models.PositiveSmallIntegerField(_("表决事项"), choices=Matter.choices)
    question = models.CharField(_("审议内容"), max_length=300)
    reviewed_on = models.DateField(_("审议日期"))
    opinion = models.TextField(_("审议意见"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    vote = models.OneToOneField(
        Vote, verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="branch_review"
    )

    class Meta:
        verbose_name = _("党支部事前审议")
        verbose_name_plural = _("党支部事前审议")
        ordering = ["-reviewed_on", "-pk"]

    def __str__(self):
        return f"{self.branch} · {self.question}"


# --------------------------------------------------------------------------- contracts decided by a vote


class ContractDecisionKind(models.TextChoices):
    HIRE = "hire", _("选聘")
    DISMISS = "dismiss", _("解聘")


class ContractDecision(models.Model):
    """The owners' vote on matter 4 of Civil Code art. 278 that hired the company of a
    contract, or dismissed it. Written only by ``committees.votes.services``."""

    contract = models.ForeignKey(
        "community.ServiceContract", verbose_name=_("物业服务合同"), on_delete=models.PROTECT, related_name="decisions"
    )
    vote = models.ForeignKey(
        Vote, verbose_name=_("业主表决"), on_delete=models.PROTECT, related_name="contract_decisions"
    )
    kind = models.CharField(
        _("决定"), max_length=10, choices=ContractDecisionKind.choices, default=ContractDecisionKind.HIRE
    )
    linked_at = models.DateTimeField(_("关联时间"), auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合同表决依据")
        verbose_name_plural = _("合同表决依据")
        ordering = ["contract", "kind"]
        constraints = [
            # One vote hires (or dismisses) under one contract, and a contract is hired (or dismissed) by one vote.
            models.UniqueConstraint(fields=["contract", "kind"], name="one_decision_per_contract_and_kind"),
            models.UniqueConstraint(fields=["vote", "kind"], name="one_contract_per_vote_and_kind"),
        ]

    def __str__(self):
        return f"{self.contract} · {self.get_kind_display()} · {self.vote}"


# --------------------------------------------------------------------------- elections and proxies


class Candidate(models.Model):
    """A candidate in a committee election (a vote with ``seats``): an owner of the estate."""

    vote = models.ForeignKey(Vote, verbose_name=_("选举"), on_delete=models.PROTECT, related_name="candidates")
    owner = models.ForeignKey(Owner, verbose_name=_("候选人"), on_delete=models.PROTECT, related_name="+")
    statement = models.CharField(_("候选人简介"), max_length=500)
    position = models.PositiveSmallIntegerField(_("排序"))

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["vote", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "owner"], name="one_candidacy_per_owner_and_vote"),
            models.UniqueConstraint(fields=["vote", "position"], name="one_candidate_per_position"),
        ]

    def __str__(self):
        return f"{self.vote_id}/{self.owner}"


class Proxy(models.Model):
    """An owner's appointment of a proxy (委托) for one vote or for a period: another owner or a
    member of their household, by the account they sign in with. Backed by a signed proxy form
    or by the owner's confirmation from their own account. Revocable until the proxy votes."""

    principal = models.ForeignKey(
        Owner, verbose_name=_("委托业主"), on_delete=models.PROTECT, related_name="proxies_given"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受托人"), on_delete=models.PROTECT, related_name="proxies_held"
    )
    vote = models.ForeignKey(
        Vote, verbose_name=_("委托的表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="proxies"
    )
    starts_on = models.DateField(_("委托起始日"), null=True, blank=True)
    ends_on = models.DateField(_("委托截止日"), null=True, blank=True)
    form = models.FileField(_("签字的委托书"), upload_to="votes/proxies/%Y/", max_length=200, blank=True)
    confirmed_in_account = models.BooleanField(_("业主本人在账号中确认"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("委托时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("表决委托")
        verbose_name_plural = _("表决委托")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vote__isnull=False, starts_on=None, ends_on=None)
                | Q(vote=None, starts_on__isnull=False, ends_on__isnull=False, ends_on__gte=models.F("starts_on")),
                name="proxy_for_a_vote_or_a_period",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_in_account=True) | ~Q(form=""), name="proxy_has_form_or_confirmation"
            ),
        ]

    def __str__(self):
        return f"{self.principal} → {self.agent}"


# --------------------------------------------------------------------------- extraordinary assembly


class ProposalStatus(models.TextChoices):
    COLLECTING = "collecting", _("征集中")
    REACHED = "reached", _("已达到法定比例，待召开")
    CONVENED = "convened", _("已召开")
    WITHDRAWN = "withdrawn", _("已撤回")


class AssemblyProposal(models.Model):
    """Owners' proposal of an extraordinary assembly (临时业主大会, 指导规则 art. 21): once the
    supporters hold the rule set's share of the area and of the heads, the committee must
    convene within the rule set's days."""

    estate = models.ForeignKey(
        "community.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="assembly_proposals"
    )
    subject = models.CharField(_("提议事项"), max_length=300)
    reasons = models.TextField(_("理由"))
    opened_at = models.DateTimeField(_("发起时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.COLLECTING
    )
    support = models.JSONField(_("支持比例"), default=dict, editable=False)
    reached_on = models.DateField(_("达到比例日期"), null=True, blank=True)
    convene_by = models.DateField(_("最迟召开日期"), null=True, blank=True)
    vote = models.OneToOneField(
        Vote, verbose_name=_("业主表决"), null=True, blank=True, on_delete=models.PROTECT, related_name="proposal"
    )

    class Meta:
        verbose_name = _("临时业主大会提议")
        verbose_name_plural = _("临时业主大会提议")
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return self.subject


class SupportVia(models.TextChoices):
    ACCOUNT = "account", _("业主账号")
    PAPER = "paper", _("签名名单")


class ProposalSupport(models.Model):
    """One owner's support of an extraordinary-assembly proposal: from their own account, or
    from a signed paper list staff recorded (the scanned list kept with it)."""

    proposal = models.ForeignKey(
        AssemblyProposal, verbose_name=_("提议"), on_delete=models.PROTECT, related_name="supporters"
    )
    owner = models.ForeignKey(Owner, verbose_name=_("业主"), on_delete=models.PROTECT, related_name="+")
    via = models.CharField(_("方式"), max_length=10, choices=SupportVia.choices)
    signed_list = models.FileField(_("签名名单"), upload_to="assembly/lists/%Y/", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("临时业主大会提议支持")
        verbose_name_plural = _("临时业主大会提议支持")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "owner"], name="one_support_per_owner_and_proposal"),
            models.CheckConstraint(condition=~Q(via="paper") | ~Q(signed_list=""), name="paper_support_has_list"),
        ]
        triggers = records.append_only("proposal_support_append_only")

    def __str__(self):
        return f"{self.proposal_id}/{self.owner_id}"


# --------------------------------------------------------------------------- decisions: posting, challenges


class ChallengeOutcome(models.TextChoices):
    PENDING = "pending", _("审理中")
    DISMISSED = "dismissed", _("驳回诉讼请求")
    WITHDRAWN = "withdrawn", _("撤诉")
    REVOKED = "revoked", _("判决撤销")


class Challenge(models.Model):
    """An owner's suit to revoke an assembly or committee decision (民法典第280条), brought
    within the revocation window, and how the court decided it."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("业主大会决定"), null=True, blank=True, on_delete=models.PROTECT, related_name="challenges"
    )
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("业委会决定"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenges",
    )
    plaintiff = models.ForeignKey(Owner, verbose_name=_("起诉业主"), on_delete=models.PROTECT, related_name="+")
    court = models.CharField(_("受理法院"), max_length=100)
    case_number = models.CharField(_("案号"), max_length=60)
    filed_on = models.DateField(_("起诉日期"))
    outcome = models.CharField(
        _("结果"), max_length=10, choices=ChallengeOutcome.choices, default=ChallengeOutcome.PENDING
    )
    decided_on = models.DateField(_("裁判日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("撤销决定之诉")
        verbose_name_plural = _("撤销决定之诉")
        ordering = ["-filed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vote__isnull=False, decision=None) | Q(vote=None, decision__isnull=False),
                name="challenge_of_one_decision",
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending", decided_on=None) | (~Q(outcome="pending") & Q(decided_on__isnull=False)),
                name="challenge_decided_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.court} {self.case_number}"


# --------------------------------------------------------------------------- filing review, meeting requests


class ReviewLevel(models.TextChoices):
    DISTRICT = "district", _("区房管部门")
    STREET = "street", _("街道办事处")


class FilingReview(models.Model):
    """One reviewer's decision on one submission of a committee's filing (the event that moved
    it to 备案审查中). Filed only when every level the rule set names has accepted."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("委员会"), on_delete=models.PROTECT, related_name="filing_reviews"
    )
    submission = models.ForeignKey(
        CommitteeEvent, verbose_name=_("报送备案"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("审查机关"), max_length=10, choices=ReviewLevel.choices)
    accepted = models.BooleanField(_("同意备案"))
    reasons = models.TextField(_("意见"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审查人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("审查时间"))

    class Meta:
        verbose_name = _("备案审查")
        verbose_name_plural = _("备案审查")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "level"], name="one_review_per_level_and_submission"),
            models.CheckConstraint(condition=Q(accepted=True) | ~Q(reasons=""), name="returned_filing_has_reasons"),
        ]
        triggers = records.append_only("filing_review_append_only")

    def __str__(self):
        return f"{self.committee_id} {self.get_level_display()}"


class MeetingRequest(models.Model):
    """Members' request for a committee meeting: with the rule set's share (a third by default) it must be held
    within the rule set's days; the meeting scheduled for it is linked when it is."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("委员会"), on_delete=models.PROTECT, related_name="meeting_requests"
    )
    requested_on = models.DateField(_("提议日期"))
    requesters = models.ManyToManyField(Member, verbose_name=_("提议委员"), related_name="+")
    reason = models.TextField(_("提议议题"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.OneToOneField(
        Meeting, verbose_name=_("召开的会议"), null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        verbose_name = _("委员提议召开会议")
        verbose_name_plural = _("委员提议召开会议")
        ordering = ["-requested_on", "-pk"]

    def __str__(self):
        return f"{self.committee_id} {self.requested_on}"


# --------------------------------------------------------------------------- each member signs for themself


class Consent(models.Model):
    """One member's agreement to a committee decision, an expenditure or a fund review. A member
    who records it from their own login has confirmed it; one recorded by somebody else stays
    "pending confirmation" until the member confirms it from their own login."""

    member = models.ForeignKey(Member, verbose_name=_("委员"), on_delete=models.PROTECT, related_name="consents")
    subject_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    # Empty only for the system itself: seed_demo, and the agreements moved from the earlier
    # "members in favour" lists, already signed on paper.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"))
    confirmed_at = models.DateTimeField(_("本人确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("委员本人同意")
        verbose_name_plural = _("委员本人同意")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "subject_type", "subject_id"], name="one_consent_per_member"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="consent_subject")]
        # Written once; the only change is the member's own confirmation, once.
        triggers = records.append_only(
            "consent_append_only",
            allow=(
                "IF OLD.confirmed_at IS NULL AND NEW.confirmed_at IS NOT NULL"
                f" AND {records.unchanged_but('confirmed_at')} THEN RETURN NEW; END IF;"
            ),
        )

    def __str__(self):
        return f"{self.member_id} → {self.subject_type_id}/{self.subject_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


# --------------------------------------------------------------------------- what owners may inspect


class DocumentKind(models.TextChoices):
    COVENANT = "covenant", _("管理规约")
    PROCEDURE_RULES = "rules", _("业主大会议事规则")
    SERVICE_CONTRACT = "contract", _("物业服务合同")
    DECISION = "decision", _("业主大会及业主委员会决定")
    MINUTES = "minutes", _("会议记录")
    COMMON_INCOME = "income", _("共有部分收益")
    PARKING = "parking", _("车位、车库处分")
    FUND = "fund", _("维修资金筹集和使用")


class EstateDocument(models.Model):
    """A document owners of the estate may inspect (SPC interpretation art. 13): readable by the
    estate's owners from their accounts, never the public, every reading recorded."""

    estate = models.ForeignKey(
        "community.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    issued_on = models.DateField(_("日期"))
    file = models.FileField(_("文件"), upload_to="estate-docs/%Y/", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("业主查阅资料")
        verbose_name_plural = _("业主查阅资料")
        ordering = ["kind", "-issued_on", "-pk"]

    def __str__(self):
        return self.title
