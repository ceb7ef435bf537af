"""Rewrite the generated blocks of the docs from the registries.

A block is the text between `<!-- BEGIN GENERATED: KIND -->` and `<!-- END GENERATED: KIND -->` in
any page under docs/; KIND is one of `mgtrain list`'s kinds, and the block holds
trainer.config.reference.markdown_table(KIND). Run it after adding or changing a component:

    python docs/generate.py           # rewrite the blocks that changed
    python docs/generate.py --check   # only say which pages are out of date (exit status 1)
"""

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (\w+) -->\n).*?(<!-- END GENERATED: \2 -->)", re.DOTALL)


def render(text: str) -> str:
    """The page with each generated block filled from the registries."""
    from trainer.config.reference import KINDS, markdown_table

    def fill(match: re.Match) -> str:
        begin, kind, end = match.groups()
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} in a generated block; known: {', '.join(KINDS)}")
        return f"{begin}\n{markdown_table(kind)}\n\n{end}"

    return BLOCK.sub(fill, text)


def kinds_in(text: str) -> list[str]:
    return [match.group(2) for match in BLOCK.finditer(text)]


def stale_pages(docs: Path = DOCS) -> list[Path]:
    """The pages whose generated blocks differ from what the registries give now."""
    return [page for page in sorted(docs.rglob("*.md")) if render(page.read_text()) != page.read_text()]


def main(argv: list[str]) -> int:
    stale = stale_pages()
    for page in stale:
        if "--check" in argv:
            print(f"out of date: {page.relative_to(DOCS.parent)}")
        else:
            page.write_text(render(page.read_text()))
            print(f"rewrote {page.relative_to(DOCS.parent)}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))  # this checkout's trainer, whatever is installed
    sys.exit(main(sys.argv[1:]))
