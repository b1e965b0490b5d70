"""The Celery application: background jobs and the schedule.

With ``CELERY_BROKER_URL`` set (Redis, e.g. ``redis://127.0.0.1:6379/0``) tasks go to the
broker and ``make worker`` runs them, with celery beat reading the schedule from the database
(django-celery-beat, editable in the admin). Without it every task runs inline, in the process
that asked for it, so ``make demo`` needs nothing but Python.

Tasks live in each app's ``tasks.py``, declared through ``community.jobs.task`` (or
``community.jobs.job`` for work a user starts and watches), which gives each the same
guarantees: acknowledged only when done, retried with backoff when the database or the broker
is briefly away, stopped by a time limit.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("estate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
