"""Trained models on disk: versioned, verified, switched atomically.

A model directory holds, per version, `model-<version>.joblib` (the pickled
pipeline) and `model-<version>.json` (its metadata, including the SHA-256 of
the pickle), plus `ACTIVE`, the version in service. The version is a prefix
of the content hash, so the same model always has the same name.

Unpickling runs code, so nothing is unpickled unless its bytes hash to the
value recorded when we wrote them; and nothing is read from outside the
model directory (versions are checked to be plain hex names).
"""

import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import joblib

ACTIVE_FILE = "ACTIVE"
# Raised whenever a new pipeline could not run an older artifact's pickled
# steps (2: deskewing features + MLP ensemble, replacing 1: kNN; 3: the
# ensemble's temperature is learnt in fit, temperature_, no longer a parameter).
FORMAT = 3
VERSION_LENGTH = 12
_VERSION = re.compile(rf"^[0-9a-f]{{{VERSION_LENGTH}}}$")


class ArtifactError(Exception):
    """A model artifact is missing, unreadable or not the one we wrote."""


class NoActiveModel(ArtifactError):
    """No model has been trained (or activated) in this directory."""


@dataclass(frozen=True)
class Artifact:
    version: str
    metadata: dict


def artifact_path(directory: Path, version: str) -> Path:
    return Path(directory) / f"model-{_checked(version)}.joblib"


def metadata_path(directory: Path, version: str) -> Path:
    return Path(directory) / f"model-{_checked(version)}.json"


def _checked(version: str) -> str:
    if not _VERSION.match(version):
        raise ArtifactError(f"{version!r} is not a model version.")
    return version


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        try:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        except BaseException:
            Path(tmp.name).unlink()
            raise
    Path(tmp.name).replace(path)


def save_artifact(pipeline: object, metadata: dict, directory: Path) -> Artifact:
    """Pickle the pipeline and write it with its metadata; returns its version."""
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    version = digest[:VERSION_LENGTH]
    full_metadata = {
        **metadata,
        "format": FORMAT,
        "version": version,
        "sha256": digest,
        "size_bytes": len(data),
    }
    directory = Path(directory)
    write_atomically(artifact_path(directory, version), data)
    # Metadata last: its presence means the pickle beside it is complete.
    write_atomically(
        metadata_path(directory, version),
        json.dumps(full_metadata, indent=2, sort_keys=True).encode(),
    )
    return Artifact(version=version, metadata=full_metadata)


def read_metadata(directory: Path, version: str) -> dict:
    try:
        metadata = json.loads(metadata_path(directory, version).read_text())
    except FileNotFoundError:
        raise ArtifactError(f"Model {version} does not exist in {directory}.") from None
    except (OSError, ValueError) as error:
        raise ArtifactError(f"The metadata of model {version} is unreadable: {error}") from None
    if not isinstance(metadata, dict):
        raise ArtifactError(f"The metadata of model {version} is not a JSON object.")
    return metadata


def check_format(version: str, metadata: dict) -> None:
    """Refuse artifacts written for another pipeline design (they would fail on use)."""
    if metadata.get("format", 1) != FORMAT:
        raise ArtifactError(
            f"Model {version} was trained by an older version of this project and "
            "cannot be used: train a new one with `python manage.py train_model`."
        )


def list_artifacts(directory: Path) -> list[Artifact]:
    """Every complete artifact in the directory, oldest first."""
    artifacts = []
    for path in Path(directory).glob("model-*.json"):
        version = path.stem.removeprefix("model-")
        if not _VERSION.match(version):
            continue
        try:
            artifacts.append(Artifact(version=version, metadata=read_metadata(directory, version)))
        except ArtifactError:
            continue
    return sorted(artifacts, key=lambda a: (a.metadata.get("trained_at", ""), a.version))


def activate(directory: Path, version: str) -> Artifact:
    """Make `version` the model in service (after checking it exists and fits)."""
    metadata = read_metadata(directory, version)
    check_format(version, metadata)
    write_atomically(Path(directory) / ACTIVE_FILE, f"{version}\n".encode())
    return Artifact(version=version, metadata=metadata)


def active_version(directory: Path) -> str:
    try:
        version = (Path(directory) / ACTIVE_FILE).read_text().strip()
    except FileNotFoundError:
        raise NoActiveModel(
            f"No trained model in {directory}: run `python manage.py train_model`."
        ) from None
    return _checked(version)


def load_artifact(directory: Path, version: str) -> tuple[object, dict]:
    """Load a pipeline after verifying its bytes against the recorded hash."""
    metadata = read_metadata(directory, version)
    check_format(version, metadata)
    try:
        data = artifact_path(directory, version).read_bytes()
    except OSError as error:
        raise ArtifactError(f"The file of model {version} is unreadable: {error}") from None
    if hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
        raise ArtifactError(
            f"The file of model {version} does not match its recorded SHA-256; "
            "it was changed or damaged after training and will not be loaded."
        )
    try:
        pipeline = joblib.load(io.BytesIO(data))
    except Exception as error:  # a verified file that still fails is a library mismatch
        raise ArtifactError(f"Model {version} could not be loaded: {error}") from None
    if not hasattr(pipeline, "predict_proba"):
        raise ArtifactError(f"Model {version} is not a classifier pipeline.")
    return pipeline, metadata
