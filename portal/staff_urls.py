"""The council's pages about the providers' portal: a provider's contacts, sharing a concern, replies."""

from django.urls import path

from . import staff_views as views

app_name = "portal_staff"
urlpatterns = [
    path("providers/<int:provider_id>/contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>/deactivate/", views.contact_deactivate, name="contact_deactivate"),
    path("contacts/<int:pk>/invite/", views.contact_reinvite, name="contact_reinvite"),
    path("concerns/<int:concern_id>/share/", views.share, name="share"),
    path("shared/<int:pk>/documents/<int:document_id>/", views.shared_document, name="shared_document"),
    path("replies/<int:pk>/read/", views.reply_read, name="reply_read"),
    path("replies/<int:pk>/files/<int:file_id>/", views.reply_file, name="reply_file"),
]
