"""Every number of RULES.md, in one place, with its national default.

``RULE_SPECS`` is the single list of rules. The ``RuleSet`` model builds one
nullable column per spec from it (blank means "use the national default"),
and ``rules_for(estate)`` resolves a district's overrides over the defaults.
Nothing else in the code writes a threshold as a literal: a tally asks
``rules_for(estate).vote_quorum_area.met(part, whole)``.

This module is plain Python (no Django import) so the rule arithmetic can be
tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

_THRESHOLD = re.compile(r"^\s*(≥|>=|>)\s*(\d+)\s*/\s*(\d+)\s*$")
_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def _exact(value: int | Decimal | Fraction) -> Fraction:
    if isinstance(value, float):
        raise TypeError("votes, areas and money are never floats")
    return Fraction(value)


@dataclass(frozen=True)
class Threshold:
    """A share that must be reached: ``≥ 2/3`` (以上, inclusive) or ``> 1/2`` (过半数, strict)."""

    share: Fraction
    inclusive: bool

    @classmethod
    def parse(cls, text: str) -> Threshold:
        match = _THRESHOLD.match(text or "")
        if not match:
            raise ValueError(f"not a threshold: {text!r} (write ≥2/3 or >1/2)")
        num, den = int(match.group(2)), int(match.group(3))
        if den == 0 or num > den:
            raise ValueError(f"not a share between 0 and 1: {text!r}")
        return cls(Fraction(num, den), match.group(1) != ">")

    def met(self, part: int | Decimal | Fraction, whole: int | Decimal | Fraction) -> bool:
        """Whether ``part`` of ``whole`` reaches the threshold, in exact arithmetic.

        An empty whole never meets a threshold: nobody to count means no decision.
        """
        part, whole = _exact(part), _exact(whole)
        if whole <= 0:
            return False
        share = part / whole
        return share >= self.share if self.inclusive else share > self.share

    def __str__(self) -> str:
        return f"{'≥' if self.inclusive else '>'}{self.share.numerator}/{self.share.denominator}"


def parse_fraction(text: str) -> Fraction:
    match = _FRACTION.match(text or "")
    if not match or int(match.group(2)) == 0:
        raise ValueError(f"not a fraction: {text!r} (write 3/10)")
    return Fraction(int(match.group(1)), int(match.group(2)))


RANKING_KEYS = ("area", "heads", "lot")


def parse_ranking(text: str) -> tuple[str, ...]:
    """The order an election breaks ties between candidates past the threshold: "area,heads,lot"
    (more area first, then more heads, then a recorded lot). The lot always comes last."""
    keys = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    if sorted(keys) != sorted(RANKING_KEYS) or keys[-1] != "lot":
        raise ValueError(f"not a ranking: {text!r} (write area,heads,lot or heads,area,lot)")
    return keys


def parse_matters(text: str) -> frozenset[int]:
    try:
        matters = frozenset(int(part) for part in (text or "").split(",") if part.strip())
    except ValueError:
        raise ValueError(f"not a list of matters: {text!r} (write 6,7,8)") from None
    if not matters or not matters <= set(range(1, 10)):
        raise ValueError(f"matters are numbered 1 to 9: {text!r}")
    return matters


# kind -> parser from the stored text/int/bool to the value code uses
PARSERS = {
    "threshold": Threshold.parse,
    "fraction": parse_fraction,
    "matters": parse_matters,
    "ranking": parse_ranking,
    "int": int,
    "bool": bool,
    "text": str,
}


@dataclass(frozen=True)
class RuleSpec:
    name: str
    kind: str  # a key of PARSERS
    default: Any  # as stored: "≥2/3", 30, True, "12358"
    label: str  # Chinese, shown in the admin
    source: str  # the legal source and how sure we are, as in RULES.md


RULE_SPECS: tuple[RuleSpec, ...] = (
    # §1 Owners' decisions, Civil Code art. 278 [text]
    RuleSpec("vote_quorum_area", "threshold", "≥2/3", "表决参与：专有部分面积占比", "民法典第278条 [text]"),
    RuleSpec("vote_quorum_heads", "threshold", "≥2/3", "表决参与：业主人数占比", "民法典第278条 [text]"),
    RuleSpec("vote_special_matters", "matters", "6,7,8", "需三分之四多数的事项编号", "民法典第278条 [text]"),
    RuleSpec("vote_special_approval_area", "threshold", "≥3/4", "特别事项同意：参与面积占比", "民法典第278条 [text]"),
    RuleSpec("vote_special_approval_heads", "threshold", "≥3/4", "特别事项同意：参与人数占比", "民法典第278条 [text]"),
    RuleSpec("vote_ordinary_approval_area", "threshold", ">1/2", "一般事项同意：参与面积占比", "民法典第278条 [text]"),
    RuleSpec("vote_ordinary_approval_heads", "threshold", ">1/2", "一般事项同意：参与人数占比", "民法典第278条 [text]"),
    RuleSpec(
        "developer_one_head", "bool", True, "开发建设单位未售及未交付房屋合计为一人", "区分所有权解释第9条 [text]"
    ),
    RuleSpec("co_ownership_separate_head", "bool", True, "共有人共同计为一人，且与其单独所有时不同", "[inferred]"),
    RuleSpec("revocation_window_months", "int", 12, "请求撤销决定的期限（月）", "区分所有权解释第12条 [quoted]"),
    RuleSpec(
        "election_ranking",
        "ranking",
        "area,heads,lot",
        "选举：过半数的候选人多于应选名额时的排序（面积、人数、抽签）",
        "[inferred]",
    ),
    RuleSpec(
        "proxy_max_principals", "int", 3, "一名受托人最多可接受委托的业主人数", "各地业主大会议事规则做法 [inferred]"
    ),
    # §2 Owners' assembly and committee
    RuleSpec("committee_min_members", "int", 5, "业委会最少委员人数", "指导规则 [quoted]"),
    RuleSpec("committee_max_members", "int", 11, "业委会最多委员人数", "指导规则 [quoted]"),
    RuleSpec("committee_members_odd", "bool", True, "委员人数须为单数", "指导规则 [quoted]"),
    RuleSpec("committee_term_max_years", "int", 5, "任期上限（年）", "指导规则 [quoted]"),
    RuleSpec("committee_first_meeting_days", "int", 7, "选举后首次会议期限（日）", "指导规则 [quoted]"),
    RuleSpec("filing_deadline_days", "int", 30, "选举后备案期限（日）", "指导规则 [quoted]"),
    RuleSpec("refiling_deadline_days", "int", 30, "备案事项变更后重新备案期限（日）", "指导规则 [quoted]"),
    RuleSpec("term_expiry_warning_days", "int", 90, "任期届满前提示换届（日）", "[inferred]"),
    RuleSpec("filing_requires_exam", "bool", False, "备案前须通过培训考试", "三元区做法 [inferred]"),
    RuleSpec("filing_requires_training_record", "bool", False, "备案须附每位委员培训记录", "上海2020第23条 [text]"),
    RuleSpec("meeting_request_share", "threshold", "≥1/3", "提议召开委员会会议的委员占比", "指导规则 [quoted]"),
    RuleSpec("meeting_request_days", "int", 7, "提议后召开会议期限（日）", "指导规则 [quoted]"),
    RuleSpec("meeting_quorum", "threshold", ">1/2", "会议出席：委员占比", "指导规则 [quoted]"),
    RuleSpec("meeting_decision", "threshold", "≥1/2", "会议决定：全体委员占比", "指导规则 [quoted]"),
    RuleSpec("meeting_agenda_notice_days", "int", 7, "会议议题提前公告（日）", "指导规则 [quoted]"),
    RuleSpec("decision_posting_days", "int", 3, "作出决定后公告期限（日）", "指导规则 [quoted]"),
    RuleSpec("decision_publicity_days", "int", 30, "决定及表决结果公示期（日）", "[inferred]"),
    RuleSpec("filing_dual_review", "bool", True, "备案须经区房管部门和街道办事处分别审查", "指导规则 [quoted]"),
    RuleSpec("member_removal_by_members", "threshold", "≥1/3", "提议罢免委员：委员占比", "指导规则 [quoted]"),
    RuleSpec("member_removal_by_owners", "threshold", "≥1/5", "提议罢免委员：业主投票权占比", "指导规则 [quoted]"),
    RuleSpec(
        "extraordinary_assembly_area", "threshold", "≥1/5", "提议临时业主大会：面积占比", "指导规则第21条 [quoted]"
    ),
    RuleSpec(
        "extraordinary_assembly_heads", "threshold", "≥1/5", "提议临时业主大会：人数占比", "指导规则第21条 [quoted]"
    ),
    RuleSpec(
        "extraordinary_assembly_convene_days",
        "int",
        30,
        "临时业主大会提议达到比例后召开期限（日）",
        "各地业主大会议事规则做法 [inferred]",
    ),
    RuleSpec("assembly_notice_days", "int", 15, "业主大会提前通知（日）", "指导规则 [quoted]"),
    RuleSpec(
        "branch_review_matters", "matters", "4,5,6,7,8", "表决前须经小区党支部审议的事项编号", "红色管家做法 [inferred]"
    ),
    RuleSpec("exam_duration_minutes", "int", 60, "备案前考试时长（分钟）", "三元区做法 [inferred]"),
    RuleSpec("exam_pass_score", "int", 80, "备案前考试及格分（百分制）", "三元区做法 [inferred]"),
    RuleSpec("exam_retake_limit", "int", 2, "补考次数上限", "三元区做法 [inferred]"),
    RuleSpec("exam_retake_wait_days", "int", 7, "补考等待期（日）", "三元区做法 [inferred]"),
    RuleSpec("exam_certificate_valid_years", "int", 5, "考试合格证书有效期（年）", "与任期上限一致 [inferred]"),
    # §3 Maintenance fund, order 165
    RuleSpec("fund_deposit_rate_min_pct", "int", 5, "首期交存：建安造价下限（%）", "维修资金办法 [quoted]"),
    RuleSpec("fund_deposit_rate_max_pct", "int", 8, "首期交存：建安造价上限（%）", "维修资金办法 [quoted]"),
    RuleSpec(
        "fund_topup_below", "fraction", "3/10", "分户余额低于首期交存的该比例时续交", "维修资金办法第17条 [quoted]"
    ),
    RuleSpec("fund_publication_months", "int", 12, "维修资金公布间隔（月）", "维修资金办法第30条 [quoted]"),
    RuleSpec(
        "fund_emergency_publication_days",
        "int",
        15,
        "应急使用拨付后公示期限（日）",
        "维修资金办法第24条“事后公示” [inferred]",
    ),
    # §4 Property fees
    RuleSpec("price_change_notice_months", "int", 1, "调价提前公示（月）", "明码标价规定 [inferred]"),
    RuleSpec("price_hotline", "text", "12358", "价格举报电话", "明码标价规定 [quoted]"),
    RuleSpec(
        "service_hotline",
        "text",
        "12345",
        "政务服务便民热线",
        "国办发〔2020〕53号 政务服务便民热线归并 [quoted]",
    ),
    RuleSpec("fee_disclosure_months", "int", 12, "酬金制收支公布间隔（月）", "物业服务收费管理办法 [quoted]"),
    RuleSpec(
        "expenditure_approval", "threshold", "≥1/2", "支出审批：全体委员同意占比", "指导规则（委员会决定） [inferred]"
    ),
    RuleSpec("expenditure_vote_above", "int", 100000, "单笔支出超过此金额（元）须经业主表决", "[inferred]"),
    RuleSpec("arrears_demand_days", "int", 30, "书面催交后给予的合理期限（日）", "民法典第944条 [text]"),
    # §5 Mediation, People's Mediation Law
    RuleSpec("mediation_committee_min", "int", 3, "调解委员会最少人数", "人民调解法第8条 [text]"),
    RuleSpec("mediation_committee_max", "int", 9, "调解委员会最多人数", "人民调解法第8条 [text]"),
    RuleSpec("mediator_term_years", "int", 3, "调解员任期（年）", "人民调解法第9条 [text]"),
    RuleSpec("mediator_term_warning_days", "int", 90, "调解员任期届满提前提醒（日）", "[inferred]"),
    RuleSpec("judicial_confirmation_days", "int", 30, "申请司法确认期限（日）", "人民调解法第33条 [text]"),
    RuleSpec("court_decision_days", "int", 15, "法院审查期限（日）", "司法确认 [text]"),
    RuleSpec("court_extension_days", "int", 10, "法院审查可延长（日）", "司法确认 [text]"),
    # Grid cases (网格案件): how long each step of 收集 → 分派 → 处置 → 核查 may take before the
    # case is escalated one level (grid → community → street → district).
    RuleSpec("grid_dispatch_hours", "int", 24, "网格案件：上报后分派时限（小时）", "数字城管做法 [inferred]"),
    RuleSpec("grid_handle_hours", "int", 72, "网格案件：分派后处置时限（小时）", "数字城管做法 [inferred]"),
    RuleSpec("grid_verify_hours", "int", 24, "网格案件：处置后核查时限（小时）", "数字城管做法 [inferred]"),
    # Residents' requests (报事报修): the time from report to the company's "done", by kind; escalated
    # into the community's grid flow when it runs past it (or is reopened beyond the allowance).
    RuleSpec(
        "request_unit_repair_hours",
        "int",
        48,
        "居民报修（户内）：受理至办结时限（小时）",
        "物业服务规范做法 [inferred]",
    ),
    RuleSpec(
        "request_common_repair_hours",
        "int",
        72,
        "居民报修（公共部位）：受理至办结时限（小时）",
        "物业服务规范做法 [inferred]",
    ),
    RuleSpec("request_complaint_hours", "int", 120, "居民投诉：受理至办结时限（小时）", "物业服务规范做法 [inferred]"),
    RuleSpec("request_suggestion_hours", "int", 240, "居民建议：受理至答复时限（小时）", "物业服务规范做法 [inferred]"),
    RuleSpec("request_confirm_days", "int", 7, "居民确认办结的期限（日），逾期视为确认", "物业服务规范做法 [inferred]"),
    RuleSpec("request_reopen_max", "int", 1, "居民可自行重新打开的次数；再次不满意即转社区督办", "[inferred]"),
    RuleSpec("request_photos_max", "int", 3, "报修、处置各可上传的照片张数", "[inferred]"),
    # Company assessment (物业服务企业信用评价): the weight of each measured fact in a score out of
    # 100, how each fact is scaled, the red and black lists and the objection window.
    RuleSpec("credit_weight_volume", "int", 10, "信用评价权重：每百户报事量", "各地信用评价办法做法 [inferred]"),
    RuleSpec("credit_weight_in_time", "int", 20, "信用评价权重：按时办结率", "各地信用评价办法做法 [inferred]"),
    RuleSpec("credit_weight_rating", "int", 20, "信用评价权重：居民评分", "各地信用评价办法做法 [inferred]"),
    RuleSpec("credit_weight_reopened", "int", 10, "信用评价权重：重新打开比例", "各地信用评价办法做法 [inferred]"),
    RuleSpec("credit_weight_fee_disclosure", "int", 10, "信用评价权重：物业费收支按时公布", "[inferred]"),
    RuleSpec("credit_weight_fund_disclosure", "int", 5, "信用评价权重：维修资金按时公布", "[inferred]"),
    RuleSpec("credit_weight_mediation", "int", 10, "信用评价权重：针对企业的调解案件", "[inferred]"),
    RuleSpec("credit_weight_no_manager", "int", 5, "信用评价权重：退出后小区失管", "[inferred]"),
    RuleSpec("credit_weight_inspection", "int", 10, "信用评价权重：街道、区检查评分", "[inferred]"),
    RuleSpec("credit_volume_ceiling", "int", 60, "每百户年报事量达到此数时该项得零分", "[inferred]"),
    RuleSpec(
        "credit_mediation_agreement_weight",
        "fraction",
        "1/2",
        "信用评价：达成调解协议的案件按此计（未达成协议计 1 件）",
        "[inferred]",
    ),
    RuleSpec("credit_mediation_open_weight", "fraction", "1/2", "信用评价：尚无结果的调解案件按此计", "[inferred]"),
    RuleSpec(
        "credit_mediation_ceiling", "int", 5, "一年内针对企业的调解案件（加权）达到此数时该项得零分", "[inferred]"
    ),
    RuleSpec("credit_red_list_min", "int", 90, "信用评价红名单：总分不低于", "各地信用评价办法做法 [inferred]"),
    RuleSpec("credit_black_list_below", "int", 60, "信用评价黑名单：总分低于", "各地信用评价办法做法 [inferred]"),
    RuleSpec(
        "credit_objection_days", "int", 15, "企业对评价结果提出异议的期限（日）", "各地信用评价办法做法 [inferred]"
    ),
    # §6 Personal information
    RuleSpec("publish_committee_fee_status", "bool", False, "公开委员本人交费情况", "北京2024第44条 [text]"),
    # §7 Security of the system itself (GB/T 22239-2019 level 3, identity)
    RuleSpec("binding_letter_days", "int", 60, "业主账号绑定函有效期（日）", "各地业主电子投票平台做法 [inferred]"),
    RuleSpec("staff_password_max_days", "int", 90, "工作人员密码最长使用期限（日）", "等保2.0 身份鉴别 [inferred]"),
)

SPECS_BY_NAME = {spec.name: spec for spec in RULE_SPECS}


class Rules:
    """Resolved rules: one attribute per spec, already parsed (Threshold, Fraction, int...)."""

    def __init__(self, stored: dict[str, Any] | None = None, *, source: str = "national"):
        stored = stored or {}
        unknown = set(stored) - set(SPECS_BY_NAME)
        if unknown:
            raise KeyError(f"unknown rules: {sorted(unknown)}")
        self.source = source
        self.overridden = frozenset(k for k, v in stored.items() if v is not None)
        for spec in RULE_SPECS:
            raw = stored.get(spec.name)
            setattr(self, spec.name, PARSERS[spec.kind](spec.default if raw is None else raw))

    def approval_thresholds(self, matter: int) -> tuple[Threshold, Threshold]:
        """(area, heads) approval thresholds for one of the nine matters of art. 278."""
        if matter not in range(1, 10):
            raise ValueError(f"matters are numbered 1 to 9, not {matter}")
        if matter in self.vote_special_matters:
            return self.vote_special_approval_area, self.vote_special_approval_heads
        return self.vote_ordinary_approval_area, self.vote_ordinary_approval_heads

    def __repr__(self) -> str:
        return f"<Rules {self.source} overrides={sorted(self.overridden)}>"


NATIONAL = Rules()


def validate_stored(spec: RuleSpec, raw: Any) -> None:
    """Raise ValueError when ``raw`` cannot be read as this rule's kind."""
    PARSERS[spec.kind](raw)


def rules_for(node: Any) -> Rules:
    """The rules in force for an estate (or any node that knows its ``district``).

    A district without a rule set follows the national defaults.
    """
    district = getattr(node, "district", None) or node
    rule_set = getattr(district, "rule_set", None)
    return rule_set.resolve() if rule_set is not None else NATIONAL
