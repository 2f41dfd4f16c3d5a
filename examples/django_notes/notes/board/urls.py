from django.urls import path

from notes.board import views

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("notes/", views.board, name="board"),
    path("notes/<int:pk>/", views.note_detail, name="note"),
    path("notes/<int:pk>/attachments/", views.add_attachment, name="add-attachment"),
    path("attachments/<int:pk>/", views.download_attachment, name="attachment"),
    path("stats/", views.stats, name="stats"),
]
