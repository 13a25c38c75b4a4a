from django.contrib.auth import views as auth_views
from django.urls import path

from . import sign_in_views as views
from .middleware import second_factor_exempt

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views.login_code, name="login_code"),
    path("sign-in/set-up/", views.mfa_setup, name="mfa_setup"),
    path("sign-out/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("account/", views.account, name="account"),
    path("account/recovery-codes/", views.new_recovery_codes, name="account_recovery_codes"),
    path("account/keep-alive/", views.keep_alive, name="keep_alive"),
]
