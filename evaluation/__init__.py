"""Evaluation: classifier quality on gold data, error analysis, annotator agreement, prevalence correction.

Entry points: :func:`evaluation.evaluate.evaluate` (``stigmascope evaluate``), :mod:`evaluation.agreement`
(shared with the annotation tool), :mod:`evaluation.quantify` (the correction math trends reuses).
See ``evaluation/README.md``. Importing the package imports nothing heavy.
"""
