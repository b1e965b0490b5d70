"""Who may see and change what: the one place that answers it.

A ``RoleAssignment(user, role, scope)`` grants django-guardian object
permissions on its scope object (a district, street, community, grid, estate
or property company). A permission held on a node holds for everything below
it: community staff who may ``view_registry`` on their community may view its
grids, estates, buildings, units and the owners of those units. Property-company
staff reach the estates their company serves under a contract in force today. A model may
also hang under a second scope through a registered link (``register_link``: a grid case
under the handling unit it was handed to, a handling unit under its company), and a
permission held there reaches it too.
Whoever manages an estate keeps its fee accounts (``keep_accounts``): company
staff while the contract is in force, committee members only while their
estate is self-managed (RULES.md §4).

* ``can(user, perm, obj)``: may the user do ``perm`` on this object?
* ``visible(user, perm, queryset)``: the rows of ``queryset`` the user may ``perm``.
* ``holds_anywhere(user, perm)``: does the user hold ``perm`` on any scope at all?
* ``get_visible_or_404(user, perm, queryset_or_model, **lookup)``: for views, the one row the
  user may ``perm``, or 404 whether it does not exist or is out of the user's reach
  (``get_permitted_or_403`` answers 403 instead).

``can`` is ``visible`` applied to one row, so the two can never disagree.
Each call costs one query for the user's grants (cached on the user object for
the request) plus the filtered query itself.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermission

from .models import (
    Building,
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    PropertyCompany,
    Role,
    RoleAssignment,
    SelfManagementPeriod,
    ServiceContract,
    Street,
    Unit,
)

VIEW = "view_registry"
CHANGE = "change_registry"
PERSONAL = "view_personal_data"
CHANGE_RULES = "change_rules"
DRAFT_NOTICES = "draft_notices"
PUBLISH_NOTICES = "publish_notices"
RUN_EXAMS = "run_exams"
CONVENE_VOTES = "convene_votes"
REVIEW_FILINGS = "review_filings"
NOT_ALLOWED = _("您没有权限进行此操作。")
KEEP_ACCOUNTS = "keep_accounts"
APPROVE_SPENDING = "approve_spending"
REVIEW_FUND = "review_fund"
OPEN_CASES = "open_cases"  # register mediation cases and read their files
MEDIATE = "mediate"  # work a room's cases: sessions, agreements, follow-ups (held on a mediation room only)
DISPATCH_CASES = "dispatch_cases"  # dispatch, verify and close grid cases (community staff over their grids)
HANDLE_REQUESTS = "handle_requests"  # a handling unit's staff: take on, assign and work the cases handed to it
ASSESS_COMPANIES = "assess_companies"  # company assessment: inspection scores (street, district), objections
MANAGE_BRANCHES = "manage_branches"  # red steward: estates' party branches, their members, cross-appointments
REPORT_CASES = "report_cases"  # hand a case over into the grid flow (the city platform's API client)
VIEW_AUDIT = "view_audit"  # search and export the audit trail (安全审计): the district administrator's

# The scope each role is held on, and what it grants there.
ROLE_SCOPES = {
    Role.DISTRICT_ADMIN: District,
    Role.STREET_STAFF: Street,
    Role.COMMUNITY_STAFF: Community,
    Role.GRID_WORKER: Grid,
    Role.COMMITTEE_MEMBER: Estate,
    Role.COMPANY_STAFF: PropertyCompany,
    # Replaced by the mediation app (register_role_scope): a mediator serves a room.
    Role.MEDIATOR: Community,
    # Replaced by the grid app (register_role_scope): a public utility's or a department's staff.
    Role.UNIT_STAFF: Community,
    # Another system (the city platform) reading and reporting through the API, on any node of the
    # territory tree: a district, a street or a community (registered by the api app's services).
    Role.API_CLIENT: (District, Street, Community),
}
ROLE_PERMS = {
    Role.DISTRICT_ADMIN: (
        VIEW,
        CHANGE,
        PERSONAL,
        CHANGE_RULES,
        DRAFT_NOTICES,
        PUBLISH_NOTICES,
        RUN_EXAMS,
        REVIEW_FILINGS,
        REVIEW_FUND,
        OPEN_CASES,
        DISPATCH_CASES,
        VIEW_AUDIT,
        ASSESS_COMPANIES,
        MANAGE_BRANCHES,
    ),
    Role.STREET_STAFF: (VIEW, PERSONAL, RUN_EXAMS, REVIEW_FILINGS, REVIEW_FUND, ASSESS_COMPANIES),
    Role.COMMUNITY_STAFF: (
        VIEW,
        CHANGE,
        PERSONAL,
        DRAFT_NOTICES,
        PUBLISH_NOTICES,
        RUN_EXAMS,
        CONVENE_VOTES,
        OPEN_CASES,
        DISPATCH_CASES,
        MANAGE_BRANCHES,
    ),
    Role.GRID_WORKER: (VIEW, CHANGE, PERSONAL),
    Role.COMMITTEE_MEMBER: (VIEW, DRAFT_NOTICES, PUBLISH_NOTICES, CONVENE_VOTES, KEEP_ACCOUNTS, APPROVE_SPENDING),
    Role.COMPANY_STAFF: (VIEW, DRAFT_NOTICES, KEEP_ACCOUNTS, HANDLE_REQUESTS),
    Role.MEDIATOR: (VIEW, OPEN_CASES, MEDIATE),
    Role.UNIT_STAFF: (HANDLE_REQUESTS,),
    Role.API_CLIENT: (VIEW, REPORT_CASES),
}
# Roles that work in the staff pages and the Django admin.
ADMIN_ROLES = {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
# Roles that see unmasked personal data or move money (等保 身份鉴别): they sign in with a second
# factor, their sessions are short and single, their passwords age. Mediators read their cases'
# parties with names, mobiles and addresses in full, so they are among them. Committee members
# see the registry masked; their estate's books are kept under the owners' eyes.
SECOND_FACTOR_ROLES = {
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMPANY_STAFF,
    Role.MEDIATOR,
    Role.UNIT_STAFF,
}
# Who may lift a sign-in lock before it ends by itself: district administrators, the holders of
# their district's own permission (so the navigation bar asks it in its one query).
UNLOCK_ACCOUNTS = CHANGE_RULES

# Each model's path to its parent in the tree; everything inherits from its ancestors.
PARENT = {
    Street: "district",
    Community: "street",
    Grid: "community",
    Estate: "grid",
    Building: "estate",
    Unit: "building",
    Ownership: "unit",
    ServiceContract: "estate",
    SelfManagementPeriod: "estate",
}


def register_child(model, parent_field: str) -> None:
    """Let an app built on the registry put its own model under a registry node
    (ExamSession under its community), so that can/visible cover it without
    community importing that app. Called from the app's AppConfig.ready()."""
    PARENT[model] = parent_field


# Second ways up: a model that also hangs under a scope through another field, so a permission
# held there reaches it too (a grid case under the handling unit it was dispatched to, a handling
# unit under the property company it stands for). Registered by the app that owns the model.
LINKS: dict[type, list[str]] = {}


def register_link(model, field: str) -> None:
    """Let an app say that ``model`` is also reached from the scope behind ``field`` (a grid case
    from its handling unit), besides its parent in the tree; ``can`` and ``visible`` follow both."""
    if field not in LINKS.setdefault(model, []):
        LINKS[model].append(field)


def scope_models(role: str) -> tuple:
    """The models ``role`` may be held on (most roles have one)."""
    held = ROLE_SCOPES[role]
    return held if isinstance(held, tuple) else (held,)


def register_role_scope(role: str, model) -> None:
    """Let an app say which of its models a role is held on (a mediator on a mediation room)."""
    ROLE_SCOPES[role] = model


def _ancestor_paths(model) -> list[tuple[type, str]]:
    """[(model, lookup path from ``model`` to it)]: ``model`` itself, its parents up to District,
    then what its registered links reach and their own links. Past a link the walk never climbs
    to the linked object's parents: a case handed to a company's unit is reached by the company's
    staff, never by the district the unit was first registered in (a company serving two
    districts has one unit)."""
    paths = []

    def walk(node, path: str, linked: bool) -> None:
        paths.append((node, "pk" if not path else f"{path}_id" if "__" not in path else f"{path}__pk"))
        parents = [] if linked or node not in PARENT else [(PARENT[node], False)]
        for name, via_link in parents + [(name, True) for name in LINKS.get(node, [])]:
            walk(node._meta.get_field(name).related_model, f"{path}__{name}" if path else name, linked or via_link)

    walk(model, "", False)
    return paths


def _grants(user, perm: str) -> dict[type, set[int]]:
    """{scope model: {pk, ...}} on which ``user`` holds ``perm``; one query, cached on the user."""
    cache = user.__dict__.setdefault("_access_grants", {})
    if perm not in cache:
        prefetch(user, (perm,))
    return cache[perm]


def prefetch(user, perms) -> None:
    """Read the user's grants for several permissions in one query (the navigation bar asks
    about five of them on every page)."""
    cache = user.__dict__.setdefault("_access_grants", {})
    missing = [p for p in perms if p not in cache]
    if not missing:
        return
    found: dict[str, dict[type, set[int]]] = {p: defaultdict(set) for p in missing}
    rows = UserObjectPermission.objects.filter(user=user, permission__codename__in=missing).values_list(
        "permission__codename", "content_type_id", "object_pk"
    )
    for codename, ctype_id, pk in rows:
        found[codename][ContentType.objects.get_for_id(ctype_id).model_class()].add(int(pk))
    for p in missing:
        cache[p] = dict(found[p])


def holds_on(user, perm: str, obj) -> bool:
    """Does ``user`` hold ``perm`` on ``obj`` itself (a superuser always does)? Not inherited and
    not answered from below: ``can`` on a district is true for its street staff too, while the
    district's own acts (publishing an assessment, registering its handling units) are its own."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or obj.pk in granted_scopes(user, perm).get(type(obj), set())


def granted_scopes(user, perm: str) -> dict[type, set[int]]:
    """{scope model: {pk, ...}} where ``user`` holds ``perm`` directly (not inherited)."""
    if not user.is_authenticated or not user.is_active:
        return {}
    return {model: set(pks) for model, pks in _grants(user, perm).items()}


def estates_served_by(company_ids) -> QuerySet:
    """Estates under a contract in force today with one of these companies."""
    in_force = ServiceContract.objects.in_force(timezone.localdate()).filter(company__in=company_ids)
    return Estate.objects.filter(pk__in=in_force.values("estate"))


def forget(user) -> None:
    """Drop the grants cached on this user object (after its roles change)."""
    user.__dict__.pop("_access_grants", None)
    user.__dict__.pop("_access_roles", None)


def _holds_role(user, roles) -> bool:
    cache = user.__dict__.setdefault("_access_roles", {})
    key = frozenset(roles)
    if key not in cache:
        cache[key] = RoleAssignment.objects.filter(user=user, role__in=key).exists()
    return cache[key]


def needs_second_factor(user) -> bool:
    """Staff in the sense of 等保: a superuser, or a holder of a role that sees unmasked personal
    data or moves money. They sign in with a second factor and keep short, single sessions."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or _holds_role(user, SECOND_FACTOR_ROLES)


def may_unlock_accounts(user) -> bool:
    """A district administrator (or a superuser) may lift a sign-in lock."""
    return holds_anywhere(user, UNLOCK_ACCOUNTS)


def holds_anywhere(user, perm: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_grants(user, perm))


def _scope_q(model, grants: dict[type, set[int]], perm: str = "") -> Q:
    q = Q(pk__in=[])
    for ancestor, path in _ancestor_paths(model):
        estate_ref = "pk" if model is Estate else path.removesuffix("__pk").removesuffix("_id")
        if grants.get(ancestor):
            held = Q(**{f"{path}__in": grants[ancestor]})
            if ancestor is Estate and perm == KEEP_ACCOUNTS:
                # A committee keeps the books only while its estate manages itself.
                held &= Q(Exists(SelfManagementPeriod.objects.in_force().filter(estate=OuterRef(estate_ref))))
            q |= held
        if ancestor is Estate and grants.get(PropertyCompany):
            in_force = ServiceContract.objects.in_force(timezone.localdate()).filter(
                estate=OuterRef(estate_ref), company__in=grants[PropertyCompany]
            )
            q |= Q(Exists(in_force))
    return q


def visible(user, perm: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` holds ``perm``, directly or through an ancestor."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    grants = _grants(user, perm)
    model = queryset.model
    if not grants:
        return queryset.none()
    if model is Owner:
        # An owner is visible through the units they hold now in a visible estate.
        units = visible(user, perm, Unit.objects.all())
        holds = Ownership.objects.in_force().filter(owner=OuterRef("pk"), unit__in=units)
        return queryset.filter(Exists(holds))
    if model is PropertyCompany:
        # The company register is public to every staff member; company staff see their own.
        return queryset
    if model in (District, Street, Community, Grid):
        # A territory node is visible from above (a grant on it or an ancestor)
        # and from below (a grant somewhere inside it), so filters can name it.
        down = _ancestor_paths(Estate)
        path_from_estate = next(p for m, p in down if m is model)
        inside = Estate.objects.filter(_scope_q(Estate, grants, perm)).values(path_from_estate)
        return queryset.filter(_scope_q(model, grants, perm) | Q(pk__in=inside))
    if model not in PARENT and model not in LINKS and model is not Estate:
        raise TypeError(f"access rules do not cover {model.__name__}")
    return queryset.filter(_scope_q(model, grants, perm))


def _ancestor_scopes(obj) -> Q:
    """A filter on RoleAssignment matching ``obj`` itself and each of its ancestors in the tree."""
    paths = _ancestor_paths(type(obj))
    values = type(obj)._default_manager.filter(pk=obj.pk).values_list(*[path for _m, path in paths]).first()
    q = Q(pk__in=[])
    for (model, _path), pk in zip(paths, values or (), strict=False):
        if pk is not None:
            q |= Q(scope_type=ContentType.objects.get_for_model(model), scope_id=pk)
    return q


def roles_on(user, obj) -> set[str]:
    """The roles ``user`` holds on ``obj`` or on one of its ancestors (a district administrator
    on every estate of their district, street staff on every estate of their street). Two
    queries. Answers who a person is there (a filing's reviewing level), not what they may do."""
    if not user.is_authenticated or not user.is_active or obj is None or obj.pk is None:
        return set()
    return set(RoleAssignment.objects.filter(_ancestor_scopes(obj), user=user).values_list("role", flat=True))


def users_with_role(role: str, obj) -> QuerySet:
    """The active accounts holding ``role`` on ``obj`` or one of its ancestors (the community
    staff of an estate's community), to tell them something."""
    held = RoleAssignment.objects.filter(_ancestor_scopes(obj), role=role).values("user")
    return get_user_model().objects.filter(pk__in=held, is_active=True)


def require(actor, perm: str, obj) -> None:
    """For services: refuse (PermissionDenied) an actor without ``perm`` on ``obj``.
    ``actor=None`` is the system itself (seed_demo, management commands)."""
    if actor is not None and not can(actor, perm, obj):
        raise PermissionDenied(NOT_ALLOWED)


def can(user, perm: str, obj) -> bool:
    """Whether ``user`` holds ``perm`` on ``obj``: the object, one of its ancestors, or its company."""
    if obj is None or obj.pk is None:
        return False
    return visible(user, perm, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def _visible_one(user, perm: str, queryset_or_model, lookup: dict):
    queryset = (
        queryset_or_model if isinstance(queryset_or_model, QuerySet) else queryset_or_model._default_manager.all()
    )
    return visible(user, perm, queryset).filter(**lookup).first()


def get_visible_or_404(user, perm: str, queryset_or_model, **lookup):
    """For views: the row matching ``lookup`` on which ``user`` holds ``perm``; 404 when there is
    none, the same answer whether the row does not exist or lies outside the user's scope."""
    found = _visible_one(user, perm, queryset_or_model, lookup)
    if found is None:
        raise Http404
    return found


def get_permitted_or_403(user, perm: str, queryset_or_model, **lookup):
    """Like ``get_visible_or_404`` for pages that answer 403 instead (the registry's change pages,
    whose links only staff see): refused alike whether the row is missing or out of reach."""
    found = _visible_one(user, perm, queryset_or_model, lookup)
    if found is None:
        raise PermissionDenied(NOT_ALLOWED)
    return found


def holders(perm: str, obj):
    """The active accounts that hold ``perm`` on ``obj``: on it or on one of its ancestors, or,
    for what lies under an estate, through the property company serving it under a contract in
    force today. Those who answer for it (the duty watch tells them). A fixed number of queries."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    if obj is None or obj.pk is None:
        return users.none()
    paths = _ancestor_paths(type(obj))
    row = type(obj)._default_manager.filter(pk=obj.pk).values_list(*[path for _model, path in paths]).first()
    if row is None:
        return users.none()
    today = timezone.localdate()
    held = Q(pk__in=[])
    for (model, _path), pk in zip(paths, row, strict=True):
        if pk is None:
            continue
        if (
            model is Estate
            and perm == KEEP_ACCOUNTS
            and not SelfManagementPeriod.objects.in_force().filter(estate=pk).exists()
        ):
            continue  # a committee keeps the books only while its estate manages itself
        held |= Q(content_type=ContentType.objects.get_for_model(model), object_pk=str(pk))
        if model is Estate:
            companies = ServiceContract.objects.in_force(today).filter(estate=pk).values_list("company", flat=True)
            held |= Q(
                content_type=ContentType.objects.get_for_model(PropertyCompany),
                object_pk__in=[str(company) for company in companies],
            )
    grants = UserObjectPermission.objects.filter(held, permission__codename=perm)
    return users.filter(pk__in=grants.values("user_id")).order_by("pk")
