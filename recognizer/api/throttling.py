import logging
from collections.abc import Mapping

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ClientRateThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, with one rate for anonymous clients (counted
    per IP address) and another for logged-in users (counted per user):
    scopes `<scope>_anon` and `<scope>_user` in DEFAULT_THROTTLE_RATES.

    A request spends `cost()` units of the rate (one, unless a subclass counts
    otherwise), all or none. The counts live in the cache. When a shared
    cache (Redis) does not answer, requests are let through, with a log line:
    an outage of the counter must not stop the service.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        base = getattr(view, self.scope_attr, None)
        if not base:
            return True
        kind = "user" if request.user and request.user.is_authenticated else "anon"
        self.scope = f"{base}_{kind}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return self.spend(request, view, self.cost(request, view))
        except Exception as error:  # each cache backend raises its own kinds
            logger.warning("not throttling %s: the cache is unavailable (%s)", self.scope, error)
            return True

    def cost(self, request: Request, view: APIView) -> int:
        """Return how many units of the rate this request spends."""
        return 1

    def spend(self, request: Request, view: APIView, cost: int) -> bool:
        """Record `cost` uses now if they fit in the rate; return whether they did.

        SimpleRateThrottle.allow_request, for several units at once: the
        history holds the time of each unit spent within the period.
        """
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        self.spending = cost
        if len(self.history) + cost > self.num_requests:
            return self.throttle_failure()
        self.history[:0] = [self.now] * cost
        self.cache.set(self.key, self.history, self.duration)
        return True

    def wait(self) -> float | None:
        """Return the seconds until this request's units fit; None if they never will."""
        if self.spending > self.num_requests:
            return None
        # The history is newest first: its oldest units must expire to make room.
        overflow = len(self.history) + self.spending - self.num_requests
        return max(0.0, self.duration - (self.now - self.history[-overflow]))


class DrawingRateThrottle(ClientRateThrottle):
    """The same rates, counted in drawings: a batch of n images spends n.

    A request the batch's own checks will refuse whole (no list, or more
    images than PREDICT_BATCH_MAX) spends one, like any request.
    """

    def cost(self, request: Request, view: APIView) -> int:
        data = request.data
        if hasattr(data, "getlist"):  # a multipart form: one part per image
            images = data.getlist("images")
        else:
            images = data.get("images") if isinstance(data, Mapping) else None
        count = len(images) if isinstance(images, list) else 0
        return count if 1 <= count <= settings.PREDICT_BATCH_MAX else 1
