"""Fuzzing the editing path: random edits over real files, hostile text, no escapes.

``inputs`` picks the files (the corpus at ``../shared/corpus``, or the shipped rule
fixtures when it is absent), ``edits`` makes random edits, ``session`` drives them
through the server's own document and project model and checks the properties. The
property tests in ``tests/server/test_fuzz_*.py`` run bounded examples in the suite;
``python -m tests.fuzz --minutes N`` runs the same checks for as long as asked.
"""
