"""Chinese word segmentation with jieba's semantics, the domain dictionary, and a fast backend.

Example:
    >>> from nlp.segment import Segmenter, SegmenterConfig
    >>> seg = Segmenter()                                  # rjieba if installed, else jieba
    >>> seg.cut("很多随迁子女只能去打工子弟学校")
    ['很多', '随迁子女', '只能', '去', '打工子弟学校']
    >>> seg.offsets("外来务工人员")
    [(0, 6)]
    >>> Segmenter(SegmenterConfig(backend="jieba", domain_dict=False)).cut("外来务工人员")
    ['外来', '务工人员']

Every instance is independent: it builds its own tokenizer when constructed (nothing is loaded on
import, nothing is shared with ``jieba.cut``), so two segmenters with different dictionaries can live
in one process. Both backends give the same tokens for the same dictionary (see
:mod:`nlp.backends` for how rjieba is made to agree with jieba, and ``nlp/bench.py`` for the check on
real news transcripts).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from stigmascope.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from nlp.userdict import DictEntry

__all__ = ["Backend", "Segmenter", "SegmenterConfig", "segment_file", "segment_lines", "spans_of"]


class Backend(str, Enum):
    """Which segmentation engine to use."""

    auto = "auto"  #: rjieba when it can be imported, else jieba
    rjieba = "rjieba"  #: jieba-rs through rjieba (fast), made token-identical to jieba
    jieba = "jieba"  #: the reference Python implementation


@dataclass
class SegmenterConfig:
    """Settings of a :class:`Segmenter`.

    Attributes:
        backend: ``auto`` (rjieba, falling back to jieba), ``rjieba`` (fail if missing) or ``jieba``.
        domain_dict: load the bundled domain dictionary (``nlp/data/domain_dict.tsv``: migrant group
            terms, policies, stereotype vocabulary, places) before any user dictionary.
        user_dicts: more dictionary files, loaded in order after the domain dictionary (a later entry
            for the same word wins). ``.tsv`` files with a header (``term, freq, pos``) or jieba's
            ``word [freq] [tag]`` format.
        hmm: let jieba's HMM join unknown character runs into words (jieba's default).
        batch_chars: :meth:`Segmenter.cut_many` joins texts into calls of about this many characters.
    """

    backend: Backend | str = Backend.auto
    domain_dict: bool = True
    user_dicts: Sequence[str | Path] = field(default_factory=tuple)
    hmm: bool = True
    batch_chars: int = 200_000

    def __post_init__(self) -> None:
        if not isinstance(self.backend, Backend):
            try:
                self.backend = Backend(str(self.backend).lower())
            except ValueError:
                raise ConfigError(f"unknown segmenter backend {self.backend!r}; use one of "
                                  f"{[b.value for b in Backend]}") from None
        if isinstance(self.user_dicts, (str, Path)):
            self.user_dicts = (self.user_dicts,)
        self.user_dicts = tuple(str(p) for p in self.user_dicts)
        for p in self.user_dicts:
            if not Path(p).is_file():
                raise ConfigError(f"{p}: user dictionary not found; pass an existing file (user_dicts / --user-dict)")
        for name in ("domain_dict", "hmm"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"segmenter option {name!r} must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.batch_chars, int) or self.batch_chars < 1:
            raise ConfigError(f"segmenter option 'batch_chars' must be a positive integer, got {self.batch_chars!r}")

    def dictionary_files(self) -> list[str]:
        """The dictionary files this config loads, in order."""
        from nlp.lexicon import default_domain_dict_path

        files = [str(default_domain_dict_path())] if self.domain_dict else []
        return files + list(self.user_dicts)


class Segmenter:
    """Cut Chinese text into words with jieba's semantics and the configured dictionaries.

    Args:
        config: the settings (default: :class:`SegmenterConfig` defaults: auto backend, domain dictionary,
            HMM on).
        entries: use exactly these dictionary entries instead of reading the config's dictionary files
            (how a saved spaCy pipeline restores its dictionary).

    Raises:
        ConfigError: ``backend="rjieba"`` but rjieba cannot be imported.
        InputError: a dictionary file is malformed (names file, line and field).
    """

    def __init__(self, config: SegmenterConfig | None = None, *, entries: Sequence[DictEntry] | None = None) -> None:
        from nlp.backends import JiebaBackend, RJiebaBackend
        from nlp.userdict import read_user_dict

        self.config = config if config is not None else SegmenterConfig()
        if entries is None:
            self.entries = [e for path in self.config.dictionary_files() for e in read_user_dict(path)]
        else:
            self.entries = list(entries)
        want = Backend(self.config.backend)
        self._impl: JiebaBackend | RJiebaBackend
        if want is Backend.jieba:
            self._impl = JiebaBackend(self.entries, hmm=self.config.hmm)
        else:
            try:
                self._impl = RJiebaBackend(self.entries, hmm=self.config.hmm)
            except ImportError as exc:
                if want is Backend.rjieba:
                    raise ConfigError(f"backend 'rjieba' requested but it cannot be imported ({exc}); "
                                      "`pip install rjieba` or use backend 'auto'/'jieba'") from None
                self._impl = JiebaBackend(self.entries, hmm=self.config.hmm)

    @property
    def backend(self) -> Backend:
        """The engine actually in use (``rjieba`` or ``jieba``; never ``auto``)."""
        return Backend(self._impl.name)

    def __repr__(self) -> str:
        return (f"Segmenter(backend={self.backend.value!r}, hmm={self.config.hmm}, "
                f"user_words={len(self.entries)})")

    def cut(self, text: str) -> list[str]:
        """Cut one text into tokens.

        Args:
            text: any string; every character ends up in exactly one token (whitespace included), so
                ``"".join(seg.cut(text)) == text``.

        Returns:
            The tokens in order.
        """
        if not isinstance(text, str):
            raise TypeError(f"Segmenter.cut expects a str, got {type(text).__name__}")
        return self._impl.cut(text)

    def cut_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Cut many texts; faster than calling :meth:`cut` in a loop (fewer calls into rjieba).

        Args:
            texts: the texts (any iterable; consumed once).

        Returns:
            One token list per text, in input order: ``(n_texts,)`` lists.
        """
        items = list(texts)
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise TypeError(f"Segmenter.cut_many: item {i} is a {type(t).__name__}, expected str")
        if self.backend is Backend.rjieba:
            return self._impl.cut_many(items, batch_chars=self.config.batch_chars)  # type: ignore[call-arg]
        return self._impl.cut_many(items)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans ``(start, end)`` of the tokens of ``text`` (``text[start:end]`` is the token)."""
        return spans_of(self.cut(text))


def spans_of(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of consecutive tokens that concatenate to the text they came from."""
    ends = list(itertools.accumulate(map(len, tokens)))
    return list(zip([0, *ends[:-1]], ends)) if ends else []


def segment_lines(lines: Iterable[str], segmenter: Segmenter, *, batch_size: int = 512,
                  keep_whitespace: bool = False) -> Iterator[str]:
    """Segment one document per line and yield each as space-separated tokens (streaming).

    Args:
        lines: input lines; a trailing ``\\n`` / ``\\r\\n`` is removed before cutting.
        segmenter: the segmenter to use.
        batch_size: lines cut per call (output follows each batch, so long inputs stream).
        keep_whitespace: keep whitespace tokens (by default they are dropped, since the output
            separates tokens by spaces).

    Yields:
        One output line (without newline) per input line.
    """
    it = iter(lines)
    while True:
        batch = [ln.rstrip("\r\n") for ln in itertools.islice(it, batch_size)]
        if not batch:
            return
        for toks in segmenter.cut_many(batch):
            yield " ".join(toks if keep_whitespace else (t for t in toks if not t.isspace()))


def segment_file(path: str | Path | None, out: TextIO, segmenter: Segmenter, *, batch_size: int = 256,
                 keep_whitespace: bool = False) -> int:
    """Segment a UTF-8 file (or standard input) line by line and write space-separated tokens to ``out``.

    Args:
        path: the input file; ``None`` or ``"-"`` reads standard input.
        out: where output lines go (flushed after every batch, so it streams).
        segmenter: the segmenter to use.
        batch_size: lines per batch.
        keep_whitespace: keep whitespace tokens in the output.

    Returns:
        The number of lines written.

    Raises:
        InputError: the file does not exist, or a line is not valid UTF-8 (naming the line).
    """
    import sys

    from stigmascope.errors import InputError

    name = "<stdin>" if path in (None, "-") else str(path)
    if path in (None, "-"):
        raw: BinaryIO = sys.stdin.buffer
        close = False
    else:
        p = Path(path)  # type: ignore[arg-type]
        if not p.is_file():
            raise InputError("input file not found; pass an existing file or '-' for standard input", path=name)
        raw, close = p.open("rb"), True

    def decoded() -> Iterator[str]:
        for lineno, b in enumerate(raw, 1):
            try:
                yield b.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start}); convert the file with "
                                 "`iconv -t utf-8`", path=name, line=lineno) from None

    n = 0
    try:
        lines = segment_lines(decoded(), segmenter, batch_size=batch_size, keep_whitespace=keep_whitespace)
        for i, line in enumerate(lines, 1):
            out.write(line + "\n")
            n = i
            if i % batch_size == 0:
                out.flush()
        out.flush()
    finally:
        if close:
            raw.close()
    return n
