"""The annotation web tool: annotators label documents, reviewers adjudicate, the gold feeds ``models/``.

Modules, in the order the data flows:
    schema, db, migrations/   the database (SQLAlchemy 2 models, SQLite WAL or PostgreSQL, Alembic)
    auth, security            users, roles, argon2, sessions, CSRF, security headers
    projects, importer        projects from a taxonomy file; documents from a file or the corpus store
    preannotate               a classifier's predictions: pre-annotations and uncertainty
    queue, submit, workspace  who labels what next; versioned, idempotent submissions; drafts
    spans, forms              evidence spans snapped to words; the taxonomy as a keyboard form
    review, export            agreement (evaluation.agreement), adjudication, gold JSON Lines for training
    app, pages, api, render   the FastAPI app, HTML pages (templates/, static/) and the JSON API
    server, serverproc, bench ``stigmascope annotate serve``, a server child process, the load test

Nothing here runs on import; start with ``stigmascope annotate --help`` (see README.md).
"""
