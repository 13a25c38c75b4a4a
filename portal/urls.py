"""The provider-facing pages, under /portal/. Council staff's pages about the portal are in staff_urls.py, outside
/portal/ (the boundary keeps staff out of /portal/ and provider contacts inside it)."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/set-up/", views.set_up, name="set_up"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("keep-alive/", views.keep_alive, name="keep_alive"),
    path("invitation/<str:uidb64>/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("shared/<int:pk>/", views.shared, name="shared"),
    path("shared/<int:pk>/documents/<int:document_id>/", views.shared_document, name="shared_document"),
    path("shared/<int:pk>/files/<int:file_id>/", views.reply_file, name="reply_file"),
]
