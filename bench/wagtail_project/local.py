"""Local settings of the benchmark site, read by the project's settings/production.py (DEBUG stays False)."""

from .base import INSTALLED_APPS

SECRET_KEY = "newsplus-bench-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["news", *INSTALLED_APPS, "wagtail.api.v2", "rest_framework"]
ROOT_URLCONF = "newsbench.api"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
