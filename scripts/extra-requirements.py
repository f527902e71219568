#!/usr/bin/env python3
"""Print the requirements of one or more of pyproject.toml's extras, one a line, for pip -r.

The images install these, then the project itself with --no-deps, so each image carries only
what its commands run (the API image no Locust, the harness no uvicorn):

    python3 scripts/extra-requirements.py api > requirements.txt
    python3 scripts/extra-requirements.py harness notebooks --pyproject pyproject.toml

Self-references (``loadgate[api]``) are followed. Standard library only: it runs in a bare image.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

SELF = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)\[(?P<extras>[^\]]+)\]\s*$")


def requirements(project: dict, extras: list[str]) -> list[str]:
    """The extras' requirements in order, duplicates dropped; ``name[x]`` of the project itself expanded.

    >>> requirements({"name": "p", "optional-dependencies": {"a": ["x>=1", "p[b]"], "b": ["y"]}}, ["a"])
    ['x>=1', 'y']
    """
    name = project["name"].lower()
    optional = project.get("optional-dependencies", {})
    out: list[str] = []
    seen: set[str] = set()

    def add(extra: str) -> None:
        if extra in seen:
            return
        seen.add(extra)
        if extra not in optional:
            raise KeyError(extra)
        for req in optional[extra]:
            m = SELF.match(req)
            if m and m["name"].lower() == name:
                for inner in m["extras"].split(","):
                    add(inner.strip())
            elif req not in out:
                out.append(req)

    for extra in extras:
        add(extra)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extras", nargs="+", help="extra names, e.g. api or harness notebooks")
    parser.add_argument("--pyproject", type=Path,
                        default=Path(__file__).resolve().parents[1] / "pyproject.toml")
    args = parser.parse_args(argv)
    try:
        project = tomllib.loads(args.pyproject.read_text())["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        print(f"{args.pyproject}: cannot read [project]: {exc}", file=sys.stderr)
        return 2
    try:
        print("\n".join(requirements(project, args.extras)))
    except KeyError as exc:
        known = ", ".join(project.get("optional-dependencies", {}))
        print(f"{args.pyproject}: [project.optional-dependencies] has no extra {exc} (known: {known})",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
