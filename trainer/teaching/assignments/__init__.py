"""Classroom assignments: a folder with assignment.yaml, starter/, solution/ and configs.

spec (assignment.yaml, validated) -> references (the solution's records) -> sandbox (one process per
submission, under limits) -> worker -> checks (component, gradcheck, train; diagnose names the
classic bugs) -> results (results.json, feedback.md, grades.csv) and report (the class's report);
handout writes what students get; notebook reads an .ipynb submission.

May import: trainer.runs and everything below it, and trainer.teaching's gradcheck and grading.
"""
