"""What the generated models stand on, and `Record` for answers the contract does not
describe yet."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def opt(convert: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else convert(value)


@dataclass(frozen=True, kw_only=True)
class Model:
    """The JSON object as received, kept beside the typed fields (left out of == and repr)."""

    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


class Record(Mapping[str, Any]):
    """Attribute access over a JSON object whose schema this SDK version does not know yet
    (`r.key_id`, `r["key_id"]`); nested objects are Records too."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))

    @staticmethod
    def wrap(value: Any) -> Any:
        if isinstance(value, Mapping):
            return Record(value)
        if isinstance(value, list):
            return [Record.wrap(v) for v in value]
        return value

    def __getattr__(self, name: str) -> Any:
        try:
            return Record.wrap(self._data[name])
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return Record.wrap(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Record({self._data!r})"

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)
