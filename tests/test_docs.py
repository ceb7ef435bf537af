"""The docs beside the code: the reference tables match the registries, the README's links lead to files."""

import importlib.util
import re
from pathlib import Path

import pytest

from trainer.config.reference import KINDS, markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def load_generator():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_tables_match_the_registries():
    stale = load_generator().stale_pages()
    assert not stale, (
        f"the reference tables in {', '.join(str(page.relative_to(ROOT)) for page in stale)} differ from "
        "the registries: run `python docs/generate.py` and commit the result"
    )


def test_every_kind_has_a_generated_block_in_the_docs():
    generator = load_generator()
    found = {kind for page in (ROOT / "docs").rglob("*.md") for kind in generator.kinds_in(page.read_text())}
    missing = set(KINDS) - found
    assert not missing, (
        f"no generated block for {sorted(missing)}: add <!-- BEGIN GENERATED: KIND --> ... to a page"
    )


def test_a_generated_block_is_filled_and_an_unknown_kind_is_refused():
    generator = load_generator()
    page = "intro\n<!-- BEGIN GENERATED: losses -->\nold\n<!-- END GENERATED: losses -->\nafter\n"
    rendered = generator.render(page)
    assert markdown_table("losses") in rendered and "old" not in rendered
    assert rendered.startswith("intro\n") and rendered.endswith("after\n")
    assert generator.render(rendered) == rendered
    with pytest.raises(ValueError, match="unknown kind"):
        generator.render("<!-- BEGIN GENERATED: lossez -->\n<!-- END GENERATED: lossez -->")


def test_the_reference_tables_show_defaults_bounds_and_choices():
    assert "`lr` (required; > 0)" in markdown_table("optimizers")
    assert "one of 'relu', 'leaky_relu'" in markdown_table("models")
    assert "| `mse` | regression |" in markdown_table("losses")


def test_every_relative_link_in_the_readme_leads_to_a_file():
    links = [link for link in LINK.findall(README.read_text()) if not re.match(r"[a-z]+:|#", link)]
    assert links, "the README links to the docs"
    missing = [link for link in links if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_the_readme_is_short():
    assert len(README.read_text().splitlines()) <= 250, "README.md: at most 250 lines; the rest goes in docs/"
