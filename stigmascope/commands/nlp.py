"""CLI commands of the NLP stage (registered by :func:`register`): ``stigmascope segment``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the app."""

    @app.command("segment")
    def segment(
        file: Annotated[str | None, typer.Argument(
            help="Input file, one document per line; '-' or omitted: standard input.")] = None,
        backend: Annotated[str, typer.Option("--backend", help="Segmentation engine: auto, rjieba or jieba.")] = "auto",
        user_dict: Annotated[list[Path] | None, typer.Option(
            "--user-dict", help="Extra dictionary (.tsv with term/freq/pos columns, or jieba's 'word freq tag' "
                                "lines). Repeatable; loaded after the domain dictionary.")] = None,
        no_domain_dict: Annotated[bool, typer.Option(
            "--no-domain-dict", help="Do not load the bundled domain dictionary.")] = False,
        no_hmm: Annotated[bool, typer.Option("--no-hmm", help="Switch off jieba's HMM for unknown words.")] = False,
        keep_whitespace: Annotated[bool, typer.Option(
            "--keep-whitespace", help="Keep whitespace tokens in the output.")] = False,
        batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Lines segmented per call.")] = 256,
    ) -> None:
        """Segment Chinese text: tokens separated by spaces, one document per input line (streams)."""
        import sys

        from nlp.segment import Segmenter, SegmenterConfig, segment_file

        cfg = SegmenterConfig(backend=backend, domain_dict=not no_domain_dict, hmm=not no_hmm,
                              user_dicts=tuple(str(p) for p in (user_dict or [])))
        segment_file(file, sys.stdout, Segmenter(cfg), batch_size=batch_size, keep_whitespace=keep_whitespace)
