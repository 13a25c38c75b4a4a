from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from audit.admin_classes import AuditedAdmin

from . import device_admin  # noqa: F401  (second-factor devices: list, view and delete only)
from .models import User

admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "job_title", "is_active", "roles"]
    list_filter = ["groups", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Council", {"fields": ["job_title"]}),)

    @admin.display(description="Roles")
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def delete_model(self, request, obj):  # staff are deactivated, never deleted: their actions stay attributed
        obj.is_active = False
        self.save_model(request, obj, None, True)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Group)
class RoleAdmin(AuditedAdmin, BaseGroupAdmin):
    pass
