from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [
    path("new/", views.provider_edit, name="create"),
    path("import/", views.provider_import, name="import"),
    path("import/<int:pk>/", views.provider_import_job, name="import_job"),
    path("<int:pk>/edit/", views.provider_edit, name="edit"),
]
