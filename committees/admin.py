"""Exam administration: the question bank (district administrators) and sittings (exam staff).

Sittings are created through committees.exams.services.schedule_session, so the rule
set's timing and marks and the access check apply here as everywhere.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path

from community import access, uploads
from community.admin import ScopedAdmin

from .exams import bank_import, services
from .models import ExamSession, Option, Question, Training


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    min_num = 2


class BankAdminMixin:
    """The bank serves the whole district: edited by holders of change_rules (district administrators)."""

    def has_module_permission(self, request):
        return access.holds_anywhere(request.user, access.CHANGE_RULES)

    def has_view_permission(self, request, obj=None):
        return access.holds_anywhere(request.user, access.CHANGE_RULES)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Question)
class QuestionAdmin(BankAdminMixin, admin.ModelAdmin):
    list_display = ("text", "kind", "topic", "source", "active")
    list_filter = ("topic", "kind", "active")
    search_fields = ("text", "source")
    inlines = [OptionInline]

    def has_add_permission(self, request):
        return access.holds_anywhere(request.user, access.CHANGE_RULES)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="committees_question_import")
        ] + super().get_urls()

    def import_view(self, request):
        """Upload a spreadsheet; any bad row is listed and nothing is imported."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            entries, errors = bank_import.parse(upload.name, uploads.read(upload, uploads.IMPORT))
            if not errors:
                added = services.load_question_bank(entries, actor=request.user, filename=upload.name)
                messages.success(request, f"导入完成：新增 {added} 道，跳过已存在的 {len(entries) - added} 道。")
                return redirect("admin:committees_question_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "headers": bank_import.HEADERS,
            "title": "导入试题",
            "opts": self.model._meta,
        }
        return render(request, "committees/import_questions.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(label="试题表格（.xlsx 或 .csv）", validators=[uploads.validate_import])


class SessionForm(forms.ModelForm):
    class Meta:
        model = ExamSession
        fields = ("community", "title", "opens_at", "closes_at", "place", "blueprint", "partial_credit", "candidates")

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                services.check_session(
                    community=data["community"],
                    title=data["title"],
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    blueprint=data["blueprint"],
                    place=data.get("place", ""),
                    partial_credit=data.get("partial_credit", False),
                )
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


@admin.register(ExamSession)
class ExamSessionAdmin(ScopedAdmin):
    """Scoped by run_exams (district, street and community staff); scheduled through the service."""

    view_perm = change_perm = access.RUN_EXAMS
    form = SessionForm
    list_display = ("title", "community", "opens_at", "closes_at", "duration_minutes", "pass_percent")
    autocomplete_fields = ("candidates",)
    readonly_fields = ("duration_minutes", "pass_percent", "retake_limit", "retake_wait_days")

    def get_readonly_fields(self, request, obj=None):
        # Once scheduled, only the candidates and the place change.
        if obj is not None:
            return self.readonly_fields + ("community", "title", "opens_at", "closes_at", "blueprint", "partial_credit")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["place"])
            return
        form.instance = services.schedule_session(
            actor=request.user,
            community=obj.community,
            title=obj.title,
            opens_at=obj.opens_at,
            closes_at=obj.closes_at,
            blueprint=obj.blueprint,
            place=obj.place,
            partial_credit=obj.partial_credit,
        )

    def save_related(self, request, form, formsets, change):
        form.instance.candidates.set(form.cleaned_data["candidates"])


class TrainingForm(forms.ModelForm):
    class Meta:
        model = Training
        fields = ("community", "topic", "held_on", "trainer", "place", "hours", "attendees")


@admin.register(Training)
class TrainingAdmin(ExamSessionAdmin):
    """Same scope as sittings (run_exams); recorded through committees.exams.services.record_training."""

    form = TrainingForm
    list_display = ("held_on", "topic", "community", "trainer", "hours")
    autocomplete_fields = ("attendees",)
    readonly_fields = ()

    def get_readonly_fields(self, request, obj=None):
        return ("community", "topic", "held_on", "trainer", "place", "hours") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        form.instance = services.record_training(
            actor=request.user,
            community=obj.community,
            topic=obj.topic,
            held_on=obj.held_on,
            trainer=obj.trainer,
            place=obj.place,
            hours=obj.hours,
        )

    def save_related(self, request, form, formsets, change):
        form.instance.attendees.set(form.cleaned_data["attendees"])
