from django.urls import path

from . import coverage_views, household_views, letter_views, views

app_name = "residents"

urlpatterns = [
    # owners: binding with a letter, from the registry, or by a request; registering
    path("bind/", views.bind, name="bind"),
    path("bind/verify/", views.bind_verify, name="bind_verify"),
    path("bind/resend/", views.resend, name="resend"),
    path("bind/apply/", views.apply, name="apply"),
    path("bind/<str:code>/", views.bind, name="bind_code"),
    path("register/", views.register, name="register"),
    path("register/verify/", views.register_verify, name="register_verify"),
    path("me/binding/", views.my_binding, name="my_binding"),
    # owners and the family members and tenants they invite
    path("me/household/", household_views.household_page, name="household"),
    # staff: binding letters for an estate or a building
    path("bindings/estates/<int:pk>/letters/", letter_views.letters_page, name="letters"),
    # staff: the queue of binding requests
    path("bindings/requests/", views.queue, name="queue"),
    path("bindings/requests/<int:pk>/", views.decide, name="decide"),
    path("bindings/requests/<int:pk>/proof/", views.proof, name="proof"),
    # staff: binding coverage of an estate (units and area bound owner accounts reach)
    path("bindings/estates/<int:pk>/", coverage_views.estate, name="coverage"),
]
