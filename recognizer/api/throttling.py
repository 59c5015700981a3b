from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView


class ClientRateThrottle(ScopedRateThrottle):
    """The view's `throttle_scope`, with one rate for anonymous clients (counted
    per IP address) and another for logged-in users (counted per user):
    scopes `<scope>_anon` and `<scope>_user` in DEFAULT_THROTTLE_RATES.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        base = getattr(view, self.scope_attr, None)
        if not base:
            return True
        kind = "user" if request.user and request.user.is_authenticated else "anon"
        self.scope = f"{base}_{kind}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)
