"""The Django admin, held to the same access rules as every other path.

Each admin asks ``community.access`` what the user may see and change, limits
foreign-key choices to the user's scope, and saves through ``community.services``
(contracts through ``community.tenure.services``) so that a change made here obeys
the same checks as a change made anywhere else. Deleting registry rows is the
superuser's alone.
"""

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import access, services
from .models import (
    AuditEvent,
    Building,
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    PropertyCompany,
    RoleAssignment,
    RuleSet,
    SelfManagementPeriod,
    ServiceContract,
    Street,
    Unit,
)
from .privacy import mask_id_number
from .rules import RULE_SPECS
from .tenure import services as tenure


class ScopedAdmin(admin.ModelAdmin):
    """Rows and choices limited by ``access``; saves go through ``services``.

    ``view_perm`` and ``change_perm`` name the access permissions this admin
    asks for; other apps subclass it with their own (run_exams for sittings).
    """

    view_perm = access.VIEW
    change_perm = access.CHANGE

    def get_queryset(self, request):
        return access.visible(request.user, self.view_perm, super().get_queryset(request))

    def has_module_permission(self, request):
        return access.holds_anywhere(request.user, self.view_perm)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return access.holds_anywhere(request.user, self.view_perm)
        return access.can(request.user, self.view_perm, obj)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.holds_anywhere(request.user, self.change_perm)
        return access.can(request.user, self.change_perm, obj)

    def has_add_permission(self, request):
        return access.holds_anywhere(request.user, self.change_perm)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in access.PARENT or related in (Estate, District):
            kwargs["queryset"] = access.visible(request.user, self.change_perm, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.save_registry_object(actor=request.user, obj=obj)


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ("name", "code", "rule_set")

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Street)
class StreetAdmin(ScopedAdmin):
    list_display = ("name", "code", "district")
    search_fields = ("name", "code")


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ("name", "code", "street")
    list_select_related = ("street",)
    list_filter = ("street",)
    search_fields = ("name", "code")


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ("name", "code", "community")
    list_select_related = ("community",)
    search_fields = ("name", "code")


class ReadOnlyAdmin(ScopedAdmin):
    """A window onto records that change only through their services (ledgers, deliveries)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserWindow(ReadOnlyAdmin):
    """A read-only window for superusers alone, unscoped: records that hold people's data across
    the whole district (deliveries to owners' mobiles, the audit trail), with no bulk action."""

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_actions(self, request):
        return {}  # not even the bulk "delete selected"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContractInline(ReadOnlyInline):
    model = ServiceContract
    fields = ("company", "mode", "starts_on", "ends_on", "terminated_on", "created_by")
    readonly_fields = fields


class SelfManagementInline(ReadOnlyInline):
    model = SelfManagementPeriod
    fields = ("started_on", "ended_on", "note")
    readonly_fields = fields


@admin.register(Estate)
class EstateAdmin(ScopedAdmin):
    list_display = ("name", "code", "grid", "delivered_on")
    list_select_related = ("grid",)
    search_fields = ("name", "code", "address")
    inlines = [ContractInline, SelfManagementInline]


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ("name", "estate")
    list_select_related = ("estate",)
    search_fields = ("name", "estate__name")


class OwnershipInline(ReadOnlyInline):
    model = Ownership
    fields = ("owner", "started_on", "ended_on")
    readonly_fields = fields


class UnitAdminForm(forms.ModelForm):
    """Shows the registry's refusal of a delivered unit without an owner on the form."""

    class Meta:
        model = Unit
        fields = ("building", "room", "floor", "registered_area", "surveyed_area", "contract_area", "delivered")

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("building") is not None:
            unit = self.instance
            unit.building, unit.room, unit.delivered = data["building"], data.get("room", ""), data.get("delivered")
            try:
                services.check_unit_held(unit)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    form = UnitAdminForm
    list_display = ("__str__", "estate_name", "registered_area", "surveyed_area", "contract_area", "delivered")
    list_select_related = ("building__estate",)
    search_fields = ("room", "building__estate__name")
    raw_id_fields = ("building",)
    inlines = [OwnershipInline]

    @admin.display(description=_("小区"))
    def estate_name(self, unit):
        return unit.building.estate.name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Too many buildings for a drop-down; the raw id is checked by the service.
        return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)


class OwnerAdminForm(forms.ModelForm):
    """The ID number is write-only: the form never sends a stored number back to the browser."""

    id_number = forms.CharField(
        label=_("居民身份证号码"),
        required=False,
        max_length=18,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_id_number = forms.BooleanField(label=_("删除已登记的身份证号码"), required=False)

    class Meta:
        model = Owner
        # The login account is bound by the owner (a binding letter, a registry match or an
        # approved request: the residents app), never set by hand here; it is shown read-only.
        fields = ("kind", "name", "mobile", "id_number", "uscc", "is_developer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.id_number if self.instance.pk else ""
        self.stored_id_number = stored
        self.fields["id_number"].help_text = (
            _("已登记：%(masked)s。留空则保持不变。") % {"masked": mask_id_number(stored)}
            if stored
            else _("仅在确有需要时登记。")
        )

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if self.data.get("clear_id_number"):
            return ""
        return value or self.stored_id_number


@admin.register(Owner)
class OwnerAdmin(ScopedAdmin):
    form = OwnerAdminForm
    readonly_fields = ("user",)
    list_display = ("name", "kind", "mobile", "masked_id_number", "is_developer")
    search_fields = ("name", "mobile")

    @admin.display(description=_("居民身份证号码"))
    def masked_id_number(self, owner):
        return mask_id_number(owner.id_number)

    def get_queryset(self, request):
        return access.visible(request.user, access.VIEW, admin.ModelAdmin.get_queryset(self, request))


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(ScopedAdmin):
    list_display = ("name", "uscc", "phone")
    search_fields = ("name", "uscc")


class ContractForm(forms.ModelForm):
    """Shows the service's own objections (overlaps, self-management) on the form."""

    class Meta:
        model = ServiceContract
        fields = ("estate", "company", "mode", "starts_on", "ends_on", "terminated_on")

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                tenure.check_new_contract(
                    estate=data["estate"],
                    company=data["company"],
                    mode=data["mode"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


@admin.register(ServiceContract)
class ServiceContractAdmin(ScopedAdmin):
    """New contracts go through ``sign_contract``, early ends through ``terminate_contract``."""

    form = ContractForm
    list_display = ("estate", "company", "mode", "starts_on", "ends_on", "terminated_on")
    list_select_related = ("estate", "company")

    def get_readonly_fields(self, request, obj=None):
        return ("estate", "company", "mode", "starts_on", "ends_on") if obj else ("terminated_on",)

    def save_model(self, request, obj, form, change):
        if change:
            tenure.terminate_contract(actor=request.user, contract=obj, last_day=obj.terminated_on)
        else:
            form.instance = tenure.sign_contract(
                actor=request.user,
                estate=obj.estate,
                company=obj.company,
                mode=obj.mode,
                starts_on=obj.starts_on,
                ends_on=obj.ends_on,
            )


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Superusers edit every rule set; a district administrator edits their district's."""

    fieldsets = (
        (None, {"fields": ("name", "note")}),
        (_("规则（留空即采用全国默认值）"), {"fields": [spec.name for spec in RULE_SPECS]}),
    )

    def _districts(self, request):
        return access.visible(request.user, access.CHANGE_RULES, District.objects.all())

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(districts__in=self._districts(request)).distinct()

    def has_module_permission(self, request):
        return access.holds_anywhere(request.user, access.CHANGE_RULES)

    has_view_permission = has_change_permission = lambda self, request, obj=None: (
        access.holds_anywhere(request.user, access.CHANGE_RULES)
        if obj is None
        else request.user.is_superuser or obj.districts.filter(pk__in=self._districts(request)).exists()
    )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class RoleAssignmentForm(forms.ModelForm):
    scope_type = forms.ModelChoiceField(
        label=_("范围类型"),
        queryset=ContentType.objects.filter(
            app_label="community",
            model__in=[m._meta.model_name for role in access.ROLE_SCOPES for m in access.scope_models(role)],
        ),
    )

    class Meta:
        model = RoleAssignment
        fields = ("user", "role", "scope_type", "scope_id")

    def clean(self):
        data = super().clean()
        ctype, scope_id = data.get("scope_type"), data.get("scope_id")
        if ctype and scope_id:
            scope = ctype.model_class()._default_manager.filter(pk=scope_id).first()
            if scope is None:
                self.add_error("scope_id", _("编号为 %(id)s 的%(type)s不存在。") % {"id": scope_id, "type": ctype.name})
            else:
                try:
                    services.check_role(user=data.get("user"), role=data.get("role"), scope=scope)
                except ValidationError as exc:
                    raise ValidationError(exc.messages) from exc
            data["scope"] = scope
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Only superusers assign roles; assigning and revoking go through the services."""

    form = RoleAssignmentForm
    list_display = ("user", "role", "scope_type", "scope_id", "scope", "granted_at", "granted_by")
    list_filter = ("role",)
    search_fields = ("user__username",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    has_view_permission = has_change_permission = has_delete_permission = lambda self, request, obj=None: (
        request.user.is_superuser
    )

    def has_add_permission(self, request):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return ("user", "role", "scope_type", "scope_id") if obj else ()

    def save_model(self, request, obj, form, change):
        if not change:
            form.instance = services.assign_role(
                actor=request.user, user=obj.user, role=obj.role, scope=form.cleaned_data["scope"]
            )

    def delete_model(self, request, obj):
        services.revoke_role(actor=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            services.revoke_role(actor=request.user, assignment=assignment)


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserWindow):
    """The audit trail, for superusers only, to read: no add, change or delete here (the pages
    at /audit/ are the district administrators' search)."""

    list_display = ("at", "username", "ip", "action", "object_type", "object_id", "object_repr", "result")
    list_filter = ("action", "result")
    search_fields = ("username", "object_repr", "object_id")
    date_hierarchy = "at"
