"""The filters of the supervision dashboard's lists, with Chinese messages. The scope (a street
or community within the reader's) is grid's ``ScopeForm``, the one the grid dashboard uses."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Estate, Grid
from grid.forms import NOT_YOURS, MonthField, ScopeForm
from grid.models import CaseStatus

from .dashboard import OUTCOMES

OUTCOME_LABELS = {
    "agreed": _("达成协议"),
    "ended": _("调解终止（未达成协议）"),
    "refused": _("拒绝调解"),
    "open": _("在办"),
}
TIMELY_LABELS = {"in_time": _("按时办结"), "late": _("超时")}


class ListScopeForm(ScopeForm):
    """grid's scope, and a grid within it: the list behind a row of a community's dashboard."""

    grid = forms.ModelChoiceField(
        label=_("网格"), queryset=Grid.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["grid"].error_messages["invalid_choice"] = NOT_YOURS % {"field": self.fields["grid"].label}


class CollectionFilterForm(ListScopeForm):
    month = MonthField(label=_("账期"), required=False, widget=forms.TextInput(attrs={"type": "month"}))


class RequestFilterForm(ListScopeForm):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(CaseStatus.choices), required=False)
    timely = forms.ChoiceField(label=_("时效"), choices=[("", _("全部"))] + list(TIMELY_LABELS.items()), required=False)
    rated = forms.BooleanField(label=_("只看已评价"), required=False)
    estate = forms.ModelChoiceField(
        label=_("小区"), queryset=Estate.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"].queryset = estates
        self.fields["estate"].error_messages["invalid_choice"] = NOT_YOURS % {"field": self.fields["estate"].label}


class MediationFilterForm(ScopeForm):
    outcome = forms.ChoiceField(
        label=_("调解结果"), choices=[("", _("全部"))] + [(o, OUTCOME_LABELS[o]) for o in OUTCOMES], required=False
    )
