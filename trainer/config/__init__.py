"""Configs: YAML read safely with the line of every key, the schema (pydantic models typed by the
registries' signatures), `key=value` overrides, and the reference tables of the registries.

May import: the base modules, trainer.nn, trainer.optim, trainer.data.
"""
