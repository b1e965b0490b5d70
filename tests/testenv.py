"""Loaded with ``-p`` before pytest-django imports the settings.

The suite runs with the development settings (no HTTPS redirect, a throwaway
secret key); pytest-django still turns DEBUG off for the tests themselves.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
# Persistent connections would outlive the live server's request threads and
# keep the PostgreSQL test database busy when the run tries to drop it.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# Uploaded and published files (notice attachments, statement PDFs) go to a throwaway folder.
import tempfile  # noqa: E402

# Each process of a parallel run (pytest-xdist) gets a folder of its own: the workers inherit the
# first process's environment, so a folder this module chose is chosen again.
if "MEDIA_ROOT" not in os.environ or os.environ.get("ESTATE_TEST_MEDIA_CHOSEN"):
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="estate-media-")
    os.environ["ESTATE_TEST_MEDIA_CHOSEN"] = "1"
# Tasks run inline whatever the shell exports (a test that wants a broker sets it), and SMS go
# to a throwaway file, so a fan-out to thousands of owners prints nothing.
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["SMS_BACKEND"] = "notifications.channels.ConsoleSmsBackend"
os.environ["SMS_FILE_PATH"] = os.path.join(tempfile.mkdtemp(prefix="estate-sms-"), "sms.log")
