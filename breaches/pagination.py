"""Lists whose ``?page=`` never answers 404: a stale bookmark shows the nearest page there is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.views.generic import ListView

if TYPE_CHECKING:
    from django.core.paginator import _SupportsPagination


def page_or_nearest(paginator: Paginator[Any], requested: str | None) -> Page[Any]:
    """The page asked for, or the nearest one there is: past the end (a stale bookmark, rows
    gone since) the last page, and the first for anything that is not a page number."""
    try:
        number = int(requested or 1)
    except ValueError:  # "abc", or more digits than int() takes
        number = paginator.num_pages if requested == "last" else 1
    return paginator.page(min(max(number, 1), paginator.num_pages))


class NearestPageListView(ListView):
    """A list whose ``?page=`` never answers 404 (``page_or_nearest``)."""

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
