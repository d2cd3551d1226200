"""URLs under /accounts/: login and logout, two-factor authentication, passwords, closing
a notice."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views_account as views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", views.SecurityView.as_view(), name="account-security"),
    path("two-factor/verify/", views.TwoFactorVerifyView.as_view(), name="two-factor-verify"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("two-factor/disable/", views.TwoFactorDisableView.as_view(),
         name="two-factor-disable"),
    path("two-factor/backup-codes/", views.BackupCodesView.as_view(),
         name="two-factor-backup-codes"),
    path("notices/dismiss/", views.NoticeDismissView.as_view(), name="notice-dismiss"),
    path("people/<int:pk>/two-factor/", views.PersonTwoFactorView.as_view(),
         name="person-two-factor"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
]
