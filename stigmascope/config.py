"""One config dataclass per stage, loadable from a TOML/YAML/JSON file or a dict.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class TrainConfig:
    ...     epochs: int = 3
    >>> load_config(TrainConfig, {"epochs": 5}).epochs
    5
    >>> load_config(TrainConfig, {"epoch": 5})
    Traceback (most recent call last):
    ...
    stigmascope.errors.ConfigError: <dict>: unknown key 'epoch' for TrainConfig (did you mean 'epochs'?)
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from pathlib import Path
from typing import Any, Mapping, TypeVar

from stigmascope.errors import ConfigError

T = TypeVar("T")


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML, YAML or JSON file into a dict."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: config file not found")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix == ".toml":
            import tomllib

            return tomllib.loads(text)
        if p.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}
        return json.loads(text)
    except Exception as exc:  # parse errors of three libraries are reported the same way
        raise ConfigError(f"{p}: cannot parse config: {exc}") from exc


def load_config(cls: type[T], source: str | Path | Mapping[str, Any] | None = None, /, **overrides: Any) -> T:
    """Build a config dataclass from a file or mapping plus keyword overrides.

    Unknown keys are rejected with a "did you mean" hint; the dataclass's ``__post_init__`` validates
    values.
    """
    if source is None:
        data: dict[str, Any] = {}
        where = "<defaults>"
    elif isinstance(source, Mapping):
        data, where = dict(source), "<dict>"
    else:
        data, where = read_config_file(source), str(source)
    data.update({k: v for k, v in overrides.items() if v is not None})
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {names}"
            raise ConfigError(f"{where}: unknown key {key!r} for {cls.__name__}{hint}")
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc
