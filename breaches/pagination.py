"""Lists whose ``?page=`` never answers 404 (a stale bookmark shows the nearest page there is),
and whose deep pages cost about what the first one does.

A page far into a list is read in two steps (``DeferredPaginator``): first only the ids of
its rows, which PostgreSQL reads from an index without visiting the table, skipping the rows
before them; then those rows with everything a row shows. Read in one step, every skipped row
was fetched and had its columns computed (the register's page 2,000 of 100,000 incidents:
50,000 rows, docs/performance.md). A page past the middle is read from the other end, in the
reverse order, so the last page costs what the first does. Every sort the register and the
API offer is on the incident's own columns (the unit's name is copied onto it), so the first
pages are read in one step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.views.generic import ListView
from rest_framework.pagination import PageNumberPagination

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination

# Pages that start before this many rows are read in one step: skipping a few hundred rows
# costs less than a second query.
DEFER_AFTER = 500


def deferred_rows(queryset: QuerySet[Any], bottom: int, top: int, count: int) -> list[Any]:
    """Rows ``bottom`` to ``top`` of an ordered ``queryset`` of ``count`` rows, in two queries:
    their ids, then the rows (see the module's docstring)."""
    if top - bottom <= 0:
        return []
    if bottom > count - top:
        # Nearer the end: the same rows, counted from the other end in the reverse order.
        ids = list(queryset.reverse().values_list("pk", flat=True)[count - top : count - bottom])
        ids.reverse()
    else:
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    # A row deleted between the two queries is simply missing from the page.
    return [rows[pk] for pk in ids if pk in rows]


class DeferredPaginator(Paginator):
    """A paginator reading deep pages of an ordered queryset with ``deferred_rows``."""

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, QuerySet) and rows.ordered and bottom >= DEFER_AFTER:
            return Page(deferred_rows(rows, bottom, top, self.count), number, self)
        return Page(rows[bottom:top], number, self)


def page_or_nearest(paginator: Paginator[Any], requested: str | None) -> Page[Any]:
    """The page asked for, or the nearest one there is: past the end (a stale bookmark, rows
    gone since) the last page, and the first for anything that is not a page number."""
    try:
        number = int(requested or 1)
    except ValueError:  # "abc", or more digits than int() takes
        number = paginator.num_pages if requested == "last" else 1
    return paginator.page(min(max(number, 1), paginator.num_pages))


class NearestPageListView(ListView):
    """A list whose ``?page=`` never answers 404 (``page_or_nearest``), deep pages deferred."""

    paginator_class = DeferredPaginator

    def paginate_queryset(
        self, queryset: _SupportsPagination[Any], page_size: int
    ) -> tuple[Paginator[Any], Page[Any], _SupportsPagination[Any], bool]:
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        page = page_or_nearest(paginator, self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class DeferredPageNumberPagination(PageNumberPagination):
    """The API's page-number pagination, its deep pages read as the register's are."""

    django_paginator_class = DeferredPaginator
