"""The README's "Where things are" map and docs/architecture.md name the packages that exist, and
every use-case capability package is described: a package moved or added without its map fails
here."""

from __future__ import annotations

import re

from tests.deploy.deployment import DOCS, ROOT

SOURCE = ROOT / "src" / "wa_crm"
USECASES = SOURCE / "domain" / "usecases"


def _where_things_are() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where things are", 1)[1]
    return section.split("```", 2)[1]


def _capability_packages() -> set[str]:
    return {path.parent.name for path in USECASES.glob("*/__init__.py")}


def test_the_readme_map_names_only_folders_and_modules_that_exist() -> None:
    named = re.findall(r"^  ([a-z_/]+(?:/|\.py))", _where_things_are(), re.M)
    assert named, "the map lists no package"
    missing = [name for name in named if not (SOURCE / name).exists()]
    assert not missing


def test_the_readme_map_lists_every_use_case_capability() -> None:
    usecase_line = re.search(r"by capability: ((?:[a-z, ]+\n {20,})*[a-z, ]+)", _where_things_are())
    assert usecase_line is not None
    listed = {name.strip() for name in usecase_line.group(1).replace("\n", " ").split(",")}
    assert listed == _capability_packages()


def test_the_architecture_document_describes_every_use_case_capability() -> None:
    architecture = (DOCS / "architecture.md").read_text(encoding="utf-8")
    table = architecture.split("### Use cases by capability", 1)[1].split("\n\n", 2)[1]
    described = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
    assert described == _capability_packages()


def test_no_module_is_left_loose_beside_the_capability_packages() -> None:
    loose = [path.name for path in USECASES.glob("*.py") if path.name != "__init__.py"]
    assert not loose
