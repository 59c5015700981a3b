"""The storages of the app's files: drawings and model artifacts, each an entry of
STORAGES ("drawings", "models"), looked up on first use like `default_storage`.

Local folders by default, a bucket when S3_BUCKET is set: code reaches files
only through these, never by path.
"""

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

DRAWINGS = "drawings"
MODELS = "models"


class NamedStorage(LazyObject):
    """The storage of one STORAGES entry, found when first used and again after
    STORAGES changes (tests do that), so that every holder sees the same one."""

    instances: list["NamedStorage"] = []

    def __init__(self, alias: str) -> None:
        self.__dict__["alias"] = alias
        super().__init__()
        NamedStorage.instances.append(self)

    def _setup(self) -> None:
        self._wrapped = storages[self.alias]


@receiver(setting_changed)
def forget_named_storages(*, setting: str, **kwargs: object) -> None:
    """Look every named storage up again once STORAGES has changed."""
    if setting == "STORAGES":
        for storage in NamedStorage.instances:
            storage._wrapped = empty


drawing_files = NamedStorage(DRAWINGS)
model_files = NamedStorage(MODELS)


def drawing_storage() -> Storage:
    """Return the storage that holds drawings (and the exports made of them)."""
    return drawing_files


def model_storage() -> Storage:
    """Return the storage that holds model artifacts."""
    return model_files
