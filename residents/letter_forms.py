"""The letters page's one form: the whole estate or one of its buildings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Building


class LettersForm(forms.Form):
    building = forms.ModelChoiceField(
        label=_("打印范围"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("整个小区"),
        error_messages={"invalid_choice": _("请选择本小区的楼栋，或选择整个小区。")},
    )

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(estate=estate).order_by("pk")

    def label(self, buildings) -> None:
        """Name each building with its counts (``letters.buildings_with_counts``), read once by the page."""
        counts = {b.pk: b for b in buildings}

        def text(building):
            found = counts.get(building.pk)
            return _("%(name)s（%(owned)s 户有业主，共 %(units)s 户）") % {
                "name": building.name,
                "owned": found.owned if found else 0,
                "units": found.unit_count if found else 0,
            }

        self.fields["building"].label_from_instance = text
