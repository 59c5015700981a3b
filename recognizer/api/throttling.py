import logging

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ClientRateThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, with one rate for anonymous clients (counted
    per IP address) and another for logged-in users (counted per user):
    scopes `<scope>_anon` and `<scope>_user` in DEFAULT_THROTTLE_RATES.

    The counts live in the cache. When a shared cache (Redis) does not
    answer, requests are let through, with a log line: an outage of the
    counter must not stop the service.
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
            return SimpleRateThrottle.allow_request(self, request, view)
        except Exception as error:  # each cache backend raises its own kinds
            logger.warning("not throttling %s: the cache is unavailable (%s)", self.scope, error)
            return True
