"""From one drawing to the next in the admin, in the list's order and with its filters.

The change page of a drawing opened from a filtered, sorted list knows that
list (Django passes it along as `_changelist_filters`): the previous and next
drawings are found with one keyset query each, from the drawing's own values
of the ordering fields, so they stay cheap at millions of rows.
"""

import copy
import operator
from dataclasses import dataclass
from functools import reduce

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Model, Q
from django.http import HttpRequest, QueryDict

FILTERS = "_changelist_filters"


@dataclass(frozen=True)
class Neighbours:
    previous: int | None
    next: int | None


def neighbours(model_admin: admin.ModelAdmin, request: HttpRequest, obj: Model) -> Neighbours:
    """Return the ids of the drawings before and after `obj` in the list it came from."""
    listing = copy.copy(request)
    listing.GET = QueryDict(request.GET.get(FILTERS, ""))
    try:
        changelist = model_admin.get_changelist_instance(listing)
    except IncorrectLookupParameters:
        return Neighbours(None, None)
    ordering = changelist.get_ordering(listing, changelist.queryset)
    if not all(isinstance(item, str) for item in ordering):
        return Neighbours(None, None)
    backwards = [item[1:] if item.startswith("-") else f"-{item}" for item in ordering]
    return Neighbours(
        previous=first_after(changelist.queryset, obj, backwards),
        next=first_after(changelist.queryset, obj, ordering),
    )


def first_after(queryset, obj: Model, ordering: list[str]) -> int | None:
    """Return the id of the first row after `obj` in this ordering, if any.

    "After" is lexicographic over the ordering's fields: a later first field,
    or the same first field and a later second one, and so on.
    """
    alternatives, ties = [], Q()
    for item in ordering:
        name = item.lstrip("-")
        value = getattr(obj, "pk" if name == "pk" else name)
        if value is None:  # where NULLs sort differs between databases
            return None
        later = Q(**{f"{name}__{'lt' if item.startswith('-') else 'gt'}": value})
        alternatives.append(ties & later)
        ties &= Q(**{name: value})
    after = reduce(operator.or_, alternatives)
    return queryset.filter(after).order_by(*ordering).values_list("pk", flat=True).first()
