from django.urls import path

from . import views

# Council staff's pages: providers' updates and appeals, and the council's answers.
app_name = "replies"
urlpatterns = [
    path("", views.index, name="index"),
    path("updates/<int:pk>/", views.update_detail, name="update_detail"),
    path("updates/<int:pk>/evidence/<int:evidence_id>/", views.update_evidence, name="update_evidence"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal_detail"),
    path("appeals/<int:pk>/evidence/<int:evidence_id>/", views.appeal_evidence, name="appeal_evidence"),
]
