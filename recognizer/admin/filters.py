"""The filters of the list of predictions."""

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest

from recognizer.admin.scale import IndexedValuesFilter
from recognizer.history import selectors


class CorrectnessFilter(admin.SimpleListFilter):
    title = "guess was"
    parameter_name = "correct"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "right"), ("no", "wrong"), ("unknown", "not labelled")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(selectors.CORRECT)
        if self.value() == "no":
            return queryset.filter(selectors.WRONG)
        if self.value() == "unknown":
            return queryset.filter(label__isnull=True)
        return queryset


class ModelVersionFilter(IndexedValuesFilter):
    """Each model version that made predictions; one chosen is listed quickly."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        versions = self.used_parameters.get(self.lookup_kwarg) or []
        if len(versions) != 1:
            return super().queryset(request, queryset)  # none, or Django's own handling
        return selectors.of_model_version(queryset, versions[0])


class ChallengerFilter(admin.SimpleListFilter):
    """Drawings the challenger guessed too: where it disagreed with the guess served
    first of all, as those are where one of the two is wrong."""

    title = "the model in service and the challenger"
    parameter_name = "challenger"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("disagree", "disagree"), ("agree", "agree")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "disagree":
            return queryset.filter(selectors.DISAGREED)
        if self.value() == "agree":
            return queryset.filter(selectors.CHALLENGED, challenger_digit=F("digit"))
        return queryset
