"""A stand-in for openml.org, as scikit-learn's own tests serve fetch_openml: its
JSON and ARFF answers from memory through a monkeypatched ``urlopen``."""

import gzip
import hashlib
import io
import json
from urllib.error import URLError
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from tests.support.handwriting import DIGITS

DATA_ID = 554


def mnist_like_rows(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` 28x28 light-on-black digits (load_digits enlarged), flattened
    as mnist_784's rows, and their labels."""
    rows = []
    for index in range(count):
        pixels = np.rint(DIGITS.images[index] * (255 / 16)).astype(np.uint8)
        canvas = Image.new("L", (28, 28), 0)
        canvas.paste(
            Image.fromarray(pixels, "L").resize((20, 20), Image.Resampling.BILINEAR), (4, 4)
        )
        rows.append(np.asarray(canvas).ravel())
    return np.array(rows), DIGITS.target[:count]


def arff(rows: np.ndarray, labels: np.ndarray) -> bytes:
    """Return the rows as an ARFF file like OpenML's mnist_784."""
    lines = ["@RELATION mnist_784", ""]
    lines += [f"@ATTRIBUTE pixel{i + 1} NUMERIC" for i in range(rows.shape[1])]
    lines += ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "", "@DATA"]
    lines += [
        ",".join(map(str, row)) + f",{label}" for row, label in zip(rows, labels, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


class FakeOpenML:
    """Answers fetch_openml's requests for one data set, ``mnist_784``; counts them."""

    def __init__(self, rows: np.ndarray, labels: np.ndarray, *, online: bool = True) -> None:
        self.data = arff(rows, labels)
        self.n_features = rows.shape[1]
        self.n_rows = len(rows)
        self.online = online
        self.requests = 0

    def answers(self) -> dict[str, object]:
        features = [
            {
                "index": str(i),
                "name": f"pixel{i + 1}",
                "data_type": "numeric",
                "is_target": "false",
                "is_ignore": "false",
                "is_row_identifier": "false",
                "number_of_missing_values": "0",
            }
            for i in range(self.n_features)
        ]
        features.append(
            {
                "index": str(self.n_features),
                "name": "class",
                "data_type": "nominal",
                "nominal_value": [str(d) for d in range(10)],
                "is_target": "true",
                "is_ignore": "false",
                "is_row_identifier": "false",
                "number_of_missing_values": "0",
            }
        )
        description = {
            "id": str(DATA_ID),
            "name": "mnist_784",
            "version": "1",
            "description": "A stand-in for MNIST's digits, made from load_digits.",
            "format": "ARFF",
            "status": "active",
            "file_id": "52667",
            "default_target_attribute": "class",
            "url": "https://api.openml.org/data/v1/download/52667/mnist_784.arff",
            "md5_checksum": hashlib.md5(self.data).hexdigest(),
        }
        search = {
            "data": {
                "dataset": [{"did": DATA_ID, "name": "mnist_784", "version": 1, "status": "active"}]
            }
        }
        qualities = {
            "data_qualities": {
                "quality": [{"name": "NumberOfInstances", "value": f"{self.n_rows}.0"}]
            }
        }
        return {
            "/api/v1/json/data/list/data_name/mnist_784/limit/2/status/active/": search,
            f"/api/v1/json/data/{DATA_ID}": {"data_set_description": description},
            f"/api/v1/json/data/features/{DATA_ID}": {"data_features": {"feature": features}},
            f"/api/v1/json/data/qualities/{DATA_ID}": qualities,
            "/data/v1/download/52667/mnist_784.arff": self.data,
        }

    def __call__(self, request, *args, **kwargs):
        self.requests += 1
        if not self.online:
            raise URLError("no network")
        url = request.full_url if hasattr(request, "full_url") else request
        answer = self.answers().get(urlparse(url).path)
        if answer is None:
            raise URLError(f"412 unknown {url}")
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return Response(gzip.compress(body))


class Response(io.BytesIO):
    """An HTTP answer as urlopen returns it, gzip-encoded."""

    def info(self) -> dict[str, str]:
        return {"Content-Encoding": "gzip"}
