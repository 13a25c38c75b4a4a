"""A calendar link stops working by itself when the person's password changes, when they lose every role and
when their account is deactivated: the key row is deleted (and the deletion audited), so the old address
answers 404 even if the person is later given a role or reactivated again."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from . import services
from .models import CalendarFeedKey

User = get_user_model()


def _password_changed(user, old_hash: str) -> bool:
    """A new hash is a new password unless it is the same password re-hashed (Django upgrades the hash of a
    password on sign-in when the hasher's settings change: that is not a change of password)."""
    if user.password == old_hash:
        return False
    raw = getattr(user, "_password", None)
    return raw is None or not check_password(raw, old_hash)


@receiver(pre_save, sender=User, dispatch_uid="deadlines.calendar.user_pre_save")
def note_credential_change(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._calendar_revoke_reason = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every sign-in
    old = sender._base_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if not instance.is_active:
        instance._calendar_revoke_reason = "the account was deactivated"
    elif _password_changed(instance, old["password"]):
        instance._calendar_revoke_reason = "the password changed"


@receiver(post_save, sender=User, dispatch_uid="deadlines.calendar.user_post_save")
def revoke_on_credential_change(sender, instance, created=False, raw=False, **kwargs):
    reason = getattr(instance, "_calendar_revoke_reason", None)
    if reason and not raw:
        instance._calendar_revoke_reason = None
        services.revoke_calendar_link(user=instance, reason=reason)


def _revoke_roleless(user_ids=None):
    """Revoke the keys of people (all, or those in `user_ids`) who now have no role at all."""
    keys = CalendarFeedKey.objects.filter(user__groups__isnull=True).select_related("user")
    if user_ids is not None:
        keys = keys.filter(user_id__in=user_ids)
    for key in keys:
        services.revoke_calendar_link(user=key.user, reason="the person no longer has a role")


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="deadlines.calendar.groups_changed")
def revoke_on_losing_all_roles(sender, instance, action, reverse, pk_set, **kwargs):
    """Checked when the change commits: `user.groups.set([new_role])` removes the old role before adding the new
    one (in one transaction), and swapping one role for another is not losing every role."""
    if action not in ("post_remove", "post_clear"):
        return
    if not reverse:  # user.groups.remove(...), .clear() or .set([...])
        instance._role_names = None  # accounts.roles caches a user's roles on the object
        user_ids = [instance.pk]
    else:  # group.user_set.remove(...) or .clear(): pk_set is the users removed, None after a clear
        user_ids = list(pk_set) if pk_set is not None else None
    transaction.on_commit(lambda: _revoke_roleless(user_ids))


@receiver(post_delete, sender=Group, dispatch_uid="deadlines.calendar.group_deleted")
def revoke_on_role_deleted(sender, instance, **kwargs):
    _revoke_roleless()
