"""Spreadsheet imports of evaluation data (SPEC §5) on the proposals import engine.

- ``reviewers``  the reviewer pool (``import_reviewers``)
- ``scores``     submitted scoresheets of one stage (``import_scores``)
"""
