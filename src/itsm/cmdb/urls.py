"""Web UI of the CMDB (configuration items, relations, graph)."""

from django.urls import path

from . import views

app_name = "cmdb"

urlpatterns = [
    path("cmdb/items/", views.ItemListView.as_view(), name="item-list"),
    path("cmdb/items/new/", views.ItemFormView.as_view(), name="item-create"),
    path("cmdb/items/<int:pk>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("cmdb/items/<int:pk>/edit/", views.ItemFormView.as_view(), name="item-edit"),
    path("cmdb/items/<int:pk>/delete/", views.ItemDeleteView.as_view(), name="item-delete"),
    path("cmdb/items/<int:pk>/graph/", views.ItemGraphView.as_view(), name="item-graph"),
    path("cmdb/items/<int:pk>/relations/", views.RelationAddView.as_view(),
         name="relation-add"),
    path("cmdb/items/<int:pk>/relations/<int:relation_id>/delete/",
         views.RelationRemoveView.as_view(), name="relation-remove"),
]
