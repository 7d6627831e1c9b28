"""The one page type of the benchmark site: a news article, exposed through Wagtail's API v2."""

from django.db import models
from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.models import Page


class NewsPage(Page):
    summary = models.TextField(blank=True)
    body = RichTextField(blank=True)

    api_fields = [APIField("summary"), APIField("body")]
