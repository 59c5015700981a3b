"""WSGI entry point, used by gunicorn (`make serve`)."""

import os

# One prediction is one small sample. Spreading it over every core with
# OpenMP/BLAS threads (scikit-learn's default) costs more than it saves, and
# on a busy machine the spinning threads of concurrent requests starve each
# other. The server's own workers and threads are the parallelism. Set before
# numpy and scikit-learn are imported, which read these when they load.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")

application = get_wsgi_application()
