"""The adapter interface: a typed config, a lifecycle, operations and sources."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from adapters._config import AdapterConfig
from adapters._operation import Operation, Source

ConfigT = TypeVar("ConfigT", bound=AdapterConfig)


@dataclass(frozen=True)
class Health:
    """Whether the legacy system behind an adapter answers, and what was seen."""

    ok: bool
    detail: str


class Adapter(ABC, Generic[ConfigT]):
    """One legacy system, wrapped. A kind subclasses this and registers it under the
    entry-point group `civicbus.adapters`; civicbus makes one instance per configured name.

    `start` connects (or checks it can), `stop` releases everything, `health` asks the legacy
    system cheaply. `operations()` and `sources()` are read after `start`.
    """

    kind: ClassVar[str]
    config_model: ClassVar[type[AdapterConfig]]

    def __init__(self, name: str, config: ConfigT) -> None:
        self.name = name
        self.config = config

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def health(self) -> Health: ...

    @abstractmethod
    def operations(self) -> list[Operation]: ...

    def sources(self) -> list[Source]:
        return []
