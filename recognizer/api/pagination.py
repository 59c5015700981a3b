from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class HistoryPagination(CursorPagination):
    """Pages of the history, in the order its query asks for (newest first unless
    it says otherwise), that stay fast however deep one reads."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        # DRF quietly ignores a bad page_size; a client should hear about it.
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> tuple[str, ...]:
        # The selector orders the rows (by columns that end with the id, so the
        # order is total); the cursor follows that order.
        return tuple(queryset.query.order_by) or self.ordering

    def decode_cursor(self, request: Request):
        # A cursor the client mangled is bad input (400), not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
