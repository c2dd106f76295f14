"""A Django storage that keeps files in the database (``StoredFile``): the default backend of the
``documents`` alias in ``STORAGES``, so that app servers keep nothing on their own disk between
requests (SPEC §7) and every app server reads the same files.

Writes take part in the surrounding transaction like any row: a document saved in a transaction
that rolls back leaves no bytes behind. A deployment with an object store instead sets
``STORAGES["documents"]["BACKEND"]`` (``DOCUMENT_STORAGE_BACKEND``) to that backend; the pages never
ask a storage for a URL: documents are always served through the views that check who asks and
record the reading.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

CHUNK = 1024 * 1024


@deconstructible(path="proposals.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    def __init__(self, **options):
        self.options = options

    @staticmethod
    def _rows(using=None):
        from .models.documents import StoredFile

        return StoredFile.objects if using is None else StoredFile.objects.using(using)

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Stored files are written with save(), not opened for writing.")
        content = self._rows().filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return ContentFile(bytes(content), name=name)

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks(CHUNK)) if hasattr(content, "chunks") else content.read()
        self._rows().create(name=name, content=data, size=len(data))
        return name

    def delete(self, name):
        self._rows().filter(name=name).delete()

    def exists(self, name):
        return self._rows().filter(name=name).exists()

    def size(self, name):
        size = self._rows().filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return size

    def listdir(self, path):
        prefix = f"{path.rstrip('/')}/" if path else ""
        directories, files = set(), []
        for name in self._rows().filter(name__startswith=prefix).values_list("name", flat=True):
            head, slash, _tail = name[len(prefix) :].partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def get_created_time(self, name):
        created = self._rows().filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return created

    get_modified_time = get_accessed_time = get_created_time

    def url(self, name):
        raise NotImplementedError(
            "Documents have no public URL: they are served by the views that check the reader."
        )
