#!/usr/bin/env python3
"""Checks the built book: every internal link leads to a page (and an anchor on it) that
exists (and every relative link of the extra pages, such as the README, leads to a file),
and every YAML example in its sources is a valid scenario, or a valid part of one,
for schema/scenario.schema.json.

    python .ci/check-book.py docs/book docs/src schema/scenario.schema.json [README.md ...]

An example that includes a repository file (`{{#include ...}}`) is that file, which
tests/schema.rs validates; one whose first line is `# clusters.yaml` is a cluster profile, not
a scenario. The markdown files named after the schema (the README) are checked for examples
too. Any other ```yaml block must be a whole scenario (it has `name`), a mapping of
top-level scenario keys (each valid for its part of the schema), or a list of timeline steps.
Needs jsonschema and ruamel.yaml (both come with check-jsonschema). Exits 1 naming every
broken link and invalid example.
"""
import html.parser
import json
import pathlib
import re
import sys
import urllib.parse

import jsonschema
from ruamel.yaml import YAML


class Links(html.parser.HTMLParser):
    """The hrefs and srcs of a page, and the ids it defines."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                self.links.append(value)


def parse(page):
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def broken_links(book):
    pages = {page: parse(page) for page in book.rglob("*.html")}
    broken = []
    for page, links in pages.items():
        for link in links.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("javascript:"):
                continue
            target = page if not parts.path else (page.parent / parts.path).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(book)}: {link}: no such file")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(book)}: {link}: no such anchor")
    return broken


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def broken_page_links(pages):
    """Relative links of markdown pages outside the book (the README) whose file is missing."""
    broken = []
    for page in pages:
        for link in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or not parts.path:
                continue
            if not (page.parent / parts.path).exists():
                broken.append(f"{page}: {link}: no such file")
    return broken


FENCE = re.compile(r"^```(.*)$")


def yaml_examples(src, extra=()):
    """(file, line, text) of every ```yaml block of the sources and the extra pages."""
    for page in sorted(src.rglob("*.md")) + list(extra):
        lines = page.read_text(encoding="utf-8").splitlines()
        inside, start, body = None, 0, []
        for number, line in enumerate(lines, 1):
            fence = FENCE.match(line)
            if inside is None and fence:
                inside, start, body = fence.group(1), number + 1, []
            elif inside is not None and line.startswith("```"):
                if inside.strip().split(",")[0].split(" ")[0] in ("yaml", "yml"):
                    yield page, start, "\n".join(body)
                inside = None
            elif inside is not None:
                body.append(line)


def text_keys(data):
    """The data with every mapping key as text, as JSON has them (`committed: {g: {t: {0: 5}}}`
    has a number for a key in YAML)."""
    if isinstance(data, dict):
        return {str(key): text_keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [text_keys(item) for item in data]
    return data


def invalid_examples(src, extra, schema):
    definitions = schema.get("definitions", {})

    def validator(part):
        return jsonschema.Draft7Validator({**part, "definitions": definitions})

    whole = validator(schema)
    step = validator({"$ref": "#/definitions/Step"})
    keys = schema["properties"]
    problems = []
    for page, line, text in yaml_examples(src, extra):
        where = f"{page}:{line}"
        if "{{#include" in text or text.startswith("# clusters.yaml"):
            continue
        try:
            data = text_keys(YAML(typ="safe").load(text))
        except Exception as e:  # ruamel raises several kinds of errors
            problems.append(f"{where}: not YAML: {e}")
            continue
        if isinstance(data, dict) and "name" in data:
            checks = [(whole, data, "")]
        elif isinstance(data, dict):
            unknown = [key for key in data if key not in keys]
            if unknown:
                problems.append(f"{where}: not keys of a scenario: {unknown}")
                continue
            checks = [(validator(keys[key]), value, key) for key, value in data.items()]
        elif isinstance(data, list):
            checks = [(step, item, f"step {i + 1}") for i, item in enumerate(data)]
        else:
            problems.append(f"{where}: neither a scenario, part of one, nor a list of steps")
            continue
        for check, value, part in checks:
            for error in check.iter_errors(value):
                path = "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{where}: {part} {path}: {error.message}")
    return problems


def main():
    book, src, schema_path = (pathlib.Path(arg) for arg in sys.argv[1:4])
    extra = [pathlib.Path(arg) for arg in sys.argv[4:]]
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    problems = (
        broken_links(book.resolve())
        + broken_page_links(extra)
        + invalid_examples(src, extra, schema)
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    examples = sum(1 for _ in yaml_examples(src, extra))
    print(f"{len(list(book.rglob('*.html')))} pages, {examples} YAML examples: "
          f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
