"""Personal data at rest: encrypted columns and their keyed lookup hashes.

The crypto and the keys are in `core/crypto.py`. A field looked up by
equality has a companion `<field>_hash` column, written by `PiiModel`
whenever the field is written (save, insert, insert_many, update), and
queries compare hashes: `Case.applicant_phone_hash == phone_hash(phone)`. An
encrypted field refuses to be compared with a value, so a forgotten lookup
fails loudly instead of silently matching nothing.
"""

from peewee import CharField
from peewee import Node
from peewee import TextField

from core.crypto import HASHERS
from core.crypto import keyring

from .db import BaseModel


class EncryptedField(TextField):
    """Text stored encrypted, read back in clear. `lookup="phone"` keeps a
    `<name>_hash` companion column (a `LookupHashField`) for equality lookups."""

    def __init__(self, *args, lookup: str | None = None, **kwargs):
        if lookup is not None and lookup not in HASHERS:
            raise ValueError(f"unknown lookup kind {lookup!r}")
        self.lookup = lookup
        super().__init__(*args, **kwargs)

    @property
    def context(self) -> str:
        return f"{self.model._meta.table_name}.{self.column_name}"

    def db_value(self, value):
        if value is None or isinstance(value, Node):
            return value
        return keyring().encrypt(str(value), self.context)

    def python_value(self, value):
        return None if value is None else keyring().decrypt(value, self.context)

    def _refuse(self, *args, **kwargs):
        hint = f" by {self.name}_hash == phone_hash(value)" if self.lookup else ""
        raise TypeError(f"{self.context} is encrypted and cannot be compared with a value; look it up{hint}")

    def __eq__(self, rhs):
        if rhs is None:
            return self.is_null()
        if isinstance(rhs, Node):
            return super().__eq__(rhs)
        return self._refuse()

    def __ne__(self, rhs):
        if rhs is None:
            return self.is_null(False)
        if isinstance(rhs, Node):
            return super().__ne__(rhs)
        return self._refuse()

    __hash__ = TextField.__hash__
    in_ = not_in = contains = startswith = endswith = regexp = iregexp = __mod__ = __pow__ = _refuse


class LookupHashField(CharField):
    """The HMAC-SHA256 (hex) of an encrypted field's value; written by `PiiModel`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)


_pairs_cache: dict = {}


def lookup_pairs(model) -> list[tuple]:
    """[(encrypted field, its hash field, hasher)] of a model."""
    pairs = _pairs_cache.get(model)
    if pairs is None:
        pairs = []
        for field in model._meta.sorted_fields:
            if isinstance(field, EncryptedField) and field.lookup:
                companion = model._meta.fields.get(f"{field.name}_hash")
                if not isinstance(companion, LookupHashField):
                    raise TypeError(f"{model.__name__}.{field.name}: lookup needs a LookupHashField {field.name}_hash")
                pairs.append((field, companion, HASHERS[field.lookup]))
        _pairs_cache[model] = pairs
    return pairs


def encrypted_fields(model) -> list[EncryptedField]:
    return [field for field in model._meta.sorted_fields if isinstance(field, EncryptedField)]


class PiiModel(BaseModel):
    """A model whose encrypted fields have lookup hashes: every write path that
    sets such a field also sets its hash, computed from the clear value."""

    @classmethod
    def _with_hashes(cls, data: dict) -> dict:
        for field, companion, hasher in lookup_pairs(cls):
            if field in data:
                value = data[field]
                if isinstance(value, Node):
                    raise TypeError(f"{field.context}: write a clear value, not an expression, so its hash can be kept")
                data[companion] = hasher(value)
        return data

    @classmethod
    def insert(cls, __data=None, **insert):
        return super().insert(cls._with_hashes(cls._normalize_data(__data, insert)))

    @classmethod
    def update(cls, __data=None, **update):
        return super().update(cls._with_hashes(cls._normalize_data(__data, update)))

    @classmethod
    def insert_many(cls, rows, fields=None):
        if fields is not None:
            columns = [cls._meta.fields[f] if isinstance(f, str) else f for f in fields]
            rows = [dict(zip(columns, row, strict=True)) for row in rows]
        else:
            rows = [cls._normalize_data(row, {}) for row in rows]
        return super().insert_many([cls._with_hashes(row) for row in rows])

    def save(self, force_insert=False, only=None):
        # Keep the instance's own hash attribute right, not only the stored one.
        for field, companion, hasher in lookup_pairs(type(self)):
            if field.name in self._dirty or force_insert:
                self.__data__[companion.name] = hasher(self.__data__.get(field.name))
                self._dirty.add(companion.name)
        return super().save(force_insert=force_insert, only=only)
