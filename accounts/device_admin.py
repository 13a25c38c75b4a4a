"""Second-factor devices in the administration pages: list, view and delete only.

django-otp's own admin classes let a staff user add an authenticator device with a key they choose, or recovery
codes they choose, for any person, and so sign in as them; and their changes reach no audit record. Here an
administrator can only see who has which device and delete one: that is how a lost authenticator is reset (the
person sets up a new one at their next sign-in). Each deletion is recorded as "two_factor_reset" on the person
whose device it was, in the same transaction. Keys and codes are never shown.
"""

from django.contrib import admin
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record


class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = list(fields)
    inlines = []
    actions = ["delete_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_deleted_objects(self, objs, request):
        """The confirmation page lists the devices only, never their recovery codes."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        deleted = [str(obj) for obj in objs]
        model_count = {self.model._meta.verbose_name_plural: len(objs)}
        return deleted, model_count, perms_needed, protected

    def _record_reset(self, request, device):
        what = "authenticator app" if isinstance(device, TOTPDevice) else "recovery codes"
        record(actor=request.user, obj=device.user, kind="two_factor_reset",
               summary=f"Two-factor authentication reset in administration: {what} removed",
               changes={"device": device.name, "device_type": device._meta.model_name})

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._record_reset(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for device in queryset.select_related("user"):
                self._record_reset(request, device)
            super().delete_queryset(request, queryset)


for model in (TOTPDevice, StaticDevice, StaticToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)
