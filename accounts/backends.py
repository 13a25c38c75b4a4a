"""The sign-in backend: Django's, except that the person's roles are read with the person."""

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.db.models import OuterRef


class ModelBackend(backends.ModelBackend):
    """Every page asks who the person is and what roles they hold (accounts.roles.roles_of). On PostgreSQL both
    come from one query, the role names gathered by a subquery; elsewhere the roles are read when first asked."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.filter(pk=user_id)
        postgres = connections[users.db].vendor == "postgresql"
        if postgres:
            from django.contrib.postgres.expressions import ArraySubquery

            users = users.annotate(role_list=ArraySubquery(Group.objects.filter(user=OuterRef("pk")).values("name")))
        user = users.first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if postgres:
            user._role_names = frozenset(user.role_list)
        return user
