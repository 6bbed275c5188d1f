"""The administrator's console: users, roles, business units.

Incident content is deliberately not registered here: administrators manage configuration,
not incidents (SPEC §3). History rows and access events are not editable anywhere: the admin
registers no history or access-event model, and an object's history page offers no revert.
Login records (django-axes' attempts, access log and failure log) are shown read-only: nobody,
superusers included, adds, changes or deletes them here. A locked-out person waits out the
cool-off, or an operator runs ``manage.py axes_reset_username <username>``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import BusinessUnit, User

# The admin signs in through the register's own sign-in page, so it sits behind the same second
# factor as everything else; its own login form (a password only) is never offered.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


class AuditRecordAdmin(admin.ModelAdmin):
    """Audit records: viewable by whoever may view them, never added, changed or deleted."""

    actions = None  # no "delete selected", no axes clean-up action

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """Shows each object's change history, and never offers to revert it."""

    def has_revert_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> NoReturn:
        raise PermissionDenied


@admin.register(BusinessUnit)
class BusinessUnitAdmin(ReadOnlyHistoryAdmin):
    list_display = ["indented_name", "code", "parent", "path"]
    search_fields = ["name", "code"]
    fields = ["name", "code", "parent", "path"]
    readonly_fields = ["path"]
    autocomplete_fields = ["parent"]

    @admin.display(description="Name", ordering="path")
    def indented_name(self, obj: BusinessUnit) -> str:
        return "— " * obj.depth + obj.name

    def has_delete_permission(self, request: HttpRequest, obj: BusinessUnit | None = None) -> bool:
        # Units are referenced by incidents and history; retire them by renaming instead.
        return False


class RegisterUserCreationForm(UserCreationForm):
    """A new person starts as a reporter: any other role is asked for on the Roles page and
    approved by a second person (``accounts.roles``)."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "business_unit")


@admin.register(User)
class UserAdmin(ReadOnlyHistoryAdmin, DjangoUserAdmin):
    add_form = RegisterUserCreationForm
    list_display = ["username", "get_full_name", "email", "role", "business_unit", "is_active"]
    list_filter = ["role", "is_active", "business_unit"]
    list_select_related = ["business_unit"]
    search_fields = ["username", "first_name", "last_name", "email"]
    filter_horizontal = ["assigned_units"]
    autocomplete_fields = ["business_unit"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Role and scope",
            {
                "fields": ["role", "business_unit", "assigned_units"],
                "description": "Privacy officers see incidents in their assigned units and "
                "every unit below them. The role is changed on the Roles page (/account/roles/): "
                "a second person approves it.",
            },
        ),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "business_unit",
                    "password1",
                    "password2",
                ],
            },
        )
    ]
    # Nobody grants power here, themselves or anyone: the role, staff and superuser flags are
    # shown, never edited (roles: accounts.roles, with a second person's approval).
    readonly_fields = ["last_login", "date_joined", "role", "is_staff", "is_superuser"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # People are referenced by incidents and history: deactivate instead of deleting.
        return False


# API tokens are credentials: nobody, administrators included, reads or mints another
# person's token in the admin (a token would let them act, and be logged, as that person).
# knox registers no admin for a swapped token model; ApiToken is deliberately not registered.


# Login records are the evidence of who tried to sign in: read-only, for everyone.
class LoginAttemptAdmin(AuditRecordAdmin, AccessAttemptAdmin):
    pass


class LoginLogAdmin(AuditRecordAdmin, AccessLogAdmin):
    pass


class LoginFailureLogAdmin(AuditRecordAdmin, AccessFailureLogAdmin):
    pass


# Importing axes.admin above has registered axes' own (deletable) admins, unless
# AXES_ENABLE_ADMIN is off: replace them.
for _model, _admin_class in [
    (AccessAttempt, LoginAttemptAdmin),
    (AccessLog, LoginLogAdmin),
    (AccessFailureLog, LoginFailureLogAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _admin_class)


# Second factors (allauth's own admin replaced): an administrator sees who has which factor and
# may remove one for someone who lost their device and recovery codes (after checking who they
# are, out of band: docs/operations.md); they never see or change a factor's secret data.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class SecondFactorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__username",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
