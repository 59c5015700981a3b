"""Django's Redis cache, its reads counted in django-prometheus' cache metrics.

django-prometheus' own Redis backends need the django-redis package; this is
Django's built-in backend with the same counters (backend="redis").
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

# What a missing key reads as, told apart from a stored None.
MISSING = object()


class RedisCache(DjangoRedisCache):
    """Django's RedisCache, counting each read: hit, miss or failure."""

    def get(self, key: str, default: object = None, version: int | None = None) -> object:
        django_cache_get_total.labels(backend="redis").inc()
        try:
            value = super().get(key, MISSING, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend="redis").inc()
            raise
        if value is MISSING:
            django_cache_misses_total.labels(backend="redis").inc()
            return default
        django_cache_hits_total.labels(backend="redis").inc()
        return value
