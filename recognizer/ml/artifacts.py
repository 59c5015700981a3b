"""Trained pipelines as bytes: pickled for storage, verified before they are unpickled.

Unpickling runs code, so nothing is unpickled unless its bytes hash to the
SHA-256 recorded when we wrote them, it was written for this pipeline design
(FORMAT) and trained with the library versions running here. Where the
bytes are kept (a folder, a bucket) and which version serves is the model
registry's business, not this module's.
"""

import hashlib
import io
import platform

import joblib
import numpy as np
import PIL
import scipy
import skimage
import sklearn

from recognizer.ml.preprocessing import RECIPE

# Raised whenever a new pipeline could not run an older artifact's pickled
# steps, or an older server must not run a new one (3: the ensemble learns its
# temperature in fit; 4: the features recipe records its version, and servers
# from before it, which do not check it, refuse these models by their format).
FORMAT = 4
# The libraries whose versions must match for a pickled pipeline to load and
# behave as it did when trained.
PINNED_LIBRARIES = ("scikit-learn", "numpy")


class ArtifactError(Exception):
    """A model artifact is unreadable, not the one we wrote, or cannot run here."""


def library_versions() -> dict[str, str]:
    """Return the versions of Python and of the libraries a pipeline depends on."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "scikit-image": skimage.__version__,
        "pillow": PIL.__version__,
    }


def incompatible_libraries(recorded: dict) -> str:
    """Return why a model trained with `recorded` libraries cannot run here ("" if it can)."""
    running = library_versions()
    differences = [
        f"{name} {recorded.get(name, 'unknown')} (this server runs {running[name]})"
        for name in PINNED_LIBRARIES
        if recorded.get(name) != running[name]
    ]
    if not differences:
        return ""
    return "it was trained with " + ", ".join(differences) + "; train it again here."


def unusable(*, libraries: dict, format: int, recipe: int) -> str:
    """Return why a pipeline written with this format, features recipe and these
    libraries cannot run here ("" if it can)."""
    if format != FORMAT:
        return (
            "it was trained by an older version of this project; train a new one with "
            "`python manage.py train_model`."
        )
    if recipe != RECIPE:
        return (
            f"it learnt from features of recipe {recipe} and this server computes recipe "
            f"{RECIPE}; train a new one here with `python manage.py train_model`."
        )
    return incompatible_libraries(libraries)


def recipe_of(metadata: dict) -> int:
    """Return the features recipe a model's metadata records (1: models from before
    recipes were recorded)."""
    return metadata.get("recipe", 1)


def serialize(pipeline: object) -> bytes:
    """Return the pickled pipeline, as stored in an artifact file."""
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    return buffer.getvalue()


def deserialize(
    data: bytes, *, version: str, sha256: str, libraries: dict, format: int, recipe: int
) -> object:
    """Return the pipeline pickled in `data`, after checking that it may be unpickled."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactError(
            f"The file of model {version} does not match its recorded SHA-256; "
            "it was changed or damaged after training and will not be loaded."
        )
    reason = unusable(libraries=libraries, format=format, recipe=recipe)
    if reason:
        raise ArtifactError(f"Model {version} will not be loaded: {reason}")
    try:
        pipeline = joblib.load(io.BytesIO(data))
    except Exception as error:  # a verified file that still fails is a library mismatch
        raise ArtifactError(f"Model {version} could not be loaded: {error}") from None
    if not hasattr(pipeline, "predict_proba"):
        raise ArtifactError(f"Model {version} is not a classifier pipeline.")
    return pipeline
