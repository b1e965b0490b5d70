"""The handling-unit pages (处置单位): the district's register of the organisations cases are
dispatched to, and the logins of their staff.

* ``/handling-units/``: the units of the reader's district (district, street and community staff);
  property companies' units are listed with them, read-only.
* ``/handling-units/new/`` and ``/handling-units/<id>/edit/``: the district administrator
  registers a utility or a department and corrects it.
* ``/handling-units/<id>/``: a unit, its staff; the district administrator takes it out of use or
  back, gives a staff member a login and takes the role away again.

``grid.units`` checks every action again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from community.identifiers import is_valid_mobile
from community.privacy import mask_mobile
from community.web import act, cleaned, error_text

from . import units
from .models import HandlingUnit, UnitKind
from .unit_forms import StaffForm, UnitForm


def _unit_or_404(user, pk) -> HandlingUnit:
    unit = units.units_for(user).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _submit(request, form, run):
    """The saved unit, or None with the refusal shown and the form kept as typed."""
    try:
        return run(cleaned(form))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return None


@login_required
def unit_list(request):
    if not units.may_read_units(request.user):
        raise PermissionDenied
    rows = list(units.units_for(request.user))
    return render(
        request,
        "grid/units/list.html",
        {"units": rows, "may_register": units.manageable_districts(request.user).exists()},
    )


@login_required
def unit_new(request):
    districts = units.manageable_districts(request.user)
    if not districts.exists():
        raise PermissionDenied
    form = UnitForm(request.POST or None, districts=districts)
    if request.method == "POST":
        unit = _submit(
            request,
            form,
            lambda data: units.register_unit(
                actor=request.user, district=data["district"], name=data["name"], kind=data["kind"], phone=data["phone"]
            ),
        )
        if unit is not None:
            messages.success(request, _("已登记处置单位“%(name)s”。请为其工作人员开通账号。") % {"name": unit.name})
            return redirect("grid:unit", unit.pk)
    return render(request, "grid/units/form.html", {"form": form, "unit": None})


@login_required
def unit_edit(request, pk):
    unit = _unit_or_404(request.user, pk)
    if not units.may_manage(request.user, unit):
        raise PermissionDenied
    initial = {"name": unit.name, "kind": unit.kind, "phone": unit.phone}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = _submit(
            request,
            form,
            lambda data: units.change_unit(
                actor=request.user, unit=unit, name=data["name"], kind=data["kind"], phone=data["phone"]
            ),
        )
        if saved is not None:
            messages.success(request, _("已保存。"))
            return redirect("grid:unit", unit.pk)
    return render(request, "grid/units/form.html", {"form": form, "unit": unit})


def _login_text(username: str) -> str:
    return mask_mobile(username) if is_valid_mobile(username) else username


def _staff_rows(unit: HandlingUnit) -> list[dict]:
    """Who works for the unit: name and masked login (a mobile), never the full number."""
    return [
        {"pk": a.user_id, "name": a.user.first_name or _("（未填姓名）"), "login": _login_text(a.user.username)}
        for a in units.staff_of(unit)
    ]


@login_required
def unit_page(request, pk):
    unit = _unit_or_404(request.user, pk)
    manage = units.may_manage(request.user, unit)
    staff_form = StaffForm(request.POST if request.POST.get("action") == "add_staff" else None)
    added = None
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "add_staff":
            added = _submit(
                request,
                staff_form,
                lambda data: units.add_staff(actor=request.user, unit=unit, name=data["name"], mobile=data["mobile"]),
            )
            if added is not None and not added.password:
                messages.success(
                    request,
                    _("%(name)s 已沿用原有账号成为本单位工作人员；下次登录须使用两步验证。")
                    % {"name": added.user.first_name or _login_text(added.user.username)},
                )
                return redirect("grid:unit", unit.pk)
            if added is not None:
                staff_form = StaffForm()  # the new login is shown once, on this page, and never stored
        elif action in ("deactivate", "reactivate"):
            active = action == "reactivate"

            def handler():
                units.set_active(actor=request.user, unit=unit, active=active)
                return _("已恢复使用。") if active else _("已停用：不再向该单位分派新案件，已分派的案件仍由其办理。")

            return act(request, handler, request.path)
        elif action == "remove_staff":

            def handler():
                posted = request.POST.get("user", "")
                user = get_user_model().objects.filter(pk=int(posted)).first() if posted.isdigit() else None
                if user is None:
                    raise ValidationError(units.NOT_STAFF)
                still = units.remove_staff(actor=request.user, unit=unit, user=user)
                text = _("已撤销其工作人员角色。")
                if still:
                    text += _("其经办的 %(n)s 件在办案件请另行派工。") % {"n": still}
                return text

            return act(request, handler, request.path)
        else:
            raise Http404
        unit = _unit_or_404(request.user, pk)  # the staff count after the change
    return render(
        request,
        "grid/units/unit.html",
        {
            "unit": unit,
            "staff": _staff_rows(unit),
            "manage": manage,
            "is_company": unit.kind == UnitKind.COMPANY,
            "staff_form": staff_form if manage else None,
            "added": added if added is not None and added.password else None,
        },
    )
