"""Bulk-load news pages under the home page, then check them with Wagtail itself.

Run inside the Wagtail venv from the project folder: ``python load_pages.py articles.jsonl``, one JSON array
[title, slug, summary, ISO first_published_at] a line. Creating pages one by one (``add_child``) costs one
tree update each; this writes the wagtailcore_page rows in bulk instead, with the treebeard materialised
paths Wagtail would have given them, then the news_newspage rows. Prints one JSON line with the checks.
"""

import itertools
import json
import os
import sys
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsbench.settings.production")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils.dateparse import parse_datetime  # noqa: E402
from news.models import NewsPage  # noqa: E402
from wagtail.models import Page, Site  # noqa: E402

BATCH = 2000


def batches(lines):
    """The JSON lines decoded, BATCH at a time."""
    lines = iter(lines)
    while batch := [json.loads(line) for line in itertools.islice(lines, BATCH)]:
        yield batch


def load(lines) -> int:
    home = Site.objects.get(is_default_site=True).root_page
    content_type = ContentType.objects.get_for_model(NewsPage)
    table = NewsPage._meta.db_table
    columns = [NewsPage._meta.get_field(name).column for name in ("page_ptr", "summary", "body")]
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES (%s, %s, %s)"
    count = home.numchild
    with transaction.atomic():
        for batch in batches(lines):
            pages = []
            for title, slug, _summary, published in batch:
                count += 1
                when = parse_datetime(published)
                pages.append(
                    Page(
                        title=title,
                        draft_title=title,
                        slug=slug,
                        content_type=content_type,
                        path=Page._get_path(home.path, home.depth + 1, count),
                        depth=home.depth + 1,
                        numchild=0,
                        url_path=f"{home.url_path}{slug}/",
                        locale_id=home.locale_id,
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=when,
                        last_published_at=when,
                    )
                )
            Page.objects.bulk_create(pages)
            rows = [(page.pk, row[2], f"<p>{row[2]}</p>") for page, row in zip(pages, batch, strict=True)]
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
        Page.objects.filter(pk=home.pk).update(numchild=count)
    return count


PROBLEMS = ("bad_alpha", "bad_path", "orphans", "bad_depth", "bad_numchild")
TREEBEARD_CHECK_UP_TO = 5000  # Page.find_problems() makes ~2 queries a page: minutes over 100,000 pages


def tree_problems() -> dict[str, list[int]]:
    """Treebeard's five checks of Page.find_problems(), over one query of (id, path, depth, numchild)."""
    rows = list(Page.objects.values_list("pk", "path", "depth", "numchild"))
    paths = {path for _, path, _, _ in rows}
    children = Counter(path[: -Page.steplen] for _, path, _, _ in rows)
    found: dict[str, list[int]] = {name: [] for name in PROBLEMS}
    for pk, path, depth, numchild in rows:
        if not set(path) <= set(Page.alphabet):
            found["bad_alpha"].append(pk)
        elif len(path) % Page.steplen:
            found["bad_path"].append(pk)
        elif depth > 1 and path[: -Page.steplen] not in paths:
            found["orphans"].append(pk)
        else:
            if depth != len(path) // Page.steplen:
                found["bad_depth"].append(pk)
            if numchild != children[path]:
                found["bad_numchild"].append(pk)
    return found


def check(loaded: int) -> dict:
    """What Wagtail says about the tree: counts, the newest page's URL, and problems in the tree (treebeard's own
    Page.find_problems() too when the tree is small enough for it)."""
    newest = NewsPage.objects.live().order_by("-first_published_at").first()
    problems = tree_problems()
    if loaded <= TREEBEARD_CHECK_UP_TO:
        for name, ids in zip(PROBLEMS, Page.find_problems(), strict=True):
            problems[f"treebeard_{name}"] = ids
    no_subclass_row = Page.objects.type(NewsPage).exclude(pk__in=NewsPage.objects.values("pk")).count()
    return {
        "live_pages": Page.objects.live().count(),
        "news_pages": NewsPage.objects.live().count(),
        "home_children": Site.objects.get(is_default_site=True).root_page.get_children().count(),
        "newest_url": newest.url if newest else None,
        "newest_title": newest.title if newest else None,
        "tree_problems": {name: ids[:10] for name, ids in problems.items() if ids},
        "treebeard_checked": loaded <= TREEBEARD_CHECK_UP_TO,
        "pages_without_news_row": no_subclass_row,
    }


if __name__ == "__main__":
    started = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as source:
        loaded = load(source)
    report = {"loaded": loaded, "load_seconds": round(time.perf_counter() - started, 1)}
    started = time.perf_counter()
    report |= check(loaded)
    report["check_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, ensure_ascii=False))
