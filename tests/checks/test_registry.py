"""Every registered check keeps the contract: stable id, title, description, documented typed options, phase,
its sandbox step, and a line in `grader checks`."""

from __future__ import annotations

import re
import typing

import pytest
from click.testing import CliRunner

from grader.checks import registry
from grader.checks.base import CheckOptions, Phase
from grader.cli import cli
from grader.outcomes import StepName

CHECKS = list(registry.REGISTRY.items())
_ID = re.compile(r"^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def listing() -> str:
    result = CliRunner().invoke(cli, ["checks"])
    assert result.exit_code == 0, result.output
    return result.output


#: Check ids are part of the contract (rubrics name them): add, never rename or drop.
STABLE_IDS = [
    "readme.present", "readme.sections", "readme.commands", "readme.links",
    "env.file", "env.pinned", "env.imports-declared",
    "code.comments", "code.docstrings", "code.pylint",
    "paper.present", "paper.pages", "paper.template", "paper.fonts", "paper.margins",
    "repo.deadline", "repo.contributions", "repo.hygiene",
    "run.build", "run.imports", "run.smoke", "run.tests", "run.notebooks", "run.readme",
]


def test_every_stable_id_is_still_registered_in_listing_order() -> None:
    ids = list(registry.REGISTRY)
    assert [i for i in ids if i in STABLE_IDS] == STABLE_IDS


def test_families_list_each_check_once_and_the_registry_holds_exactly_them() -> None:
    listed = [check for family in registry.CHECK_FAMILIES for check in family.CHECKS]
    assert len(listed) == len(set(listed)) == len(registry.REGISTRY)
    assert all(registry.REGISTRY[check.id] is check for check in listed)


@pytest.mark.parametrize(("check_id", "check"), CHECKS, ids=[cid for cid, _ in CHECKS])
def test_check_keeps_the_contract(check_id: str, check: type, listing: str) -> None:
    assert _ID.match(check_id), f"{check_id}: ids are family.kebab-name"
    family = check_id.split(".")[0]
    assert check.__module__.split(".")[2] == family, f"{check_id} lives outside grader/checks/{family}"
    assert check.__name__.endswith("Check"), "one naming scheme: <Family><Name>Check"
    assert check.title.strip() and check.description.strip()
    assert isinstance(check.phase, Phase)
    if check.phase is Phase.RUNTIME:
        assert isinstance(check.step, StepName), f"{check_id} reads a sandbox step and must name it"
    else:
        assert check.step is None
    assert issubclass(check.Options, CheckOptions)
    for name, field in check.Options.model_fields.items():
        assert field.description, f"{check_id}: option {name!r} has no description"
        assert not field.is_required(), f"{check_id}: option {name!r} needs a default (rubrics may omit it)"
        assert f"{name}=" in listing, f"`grader checks` does not show {check_id}'s option {name}"
    assert check_id in listing and check.title in listing


@pytest.mark.parametrize(("check_id", "check"), CHECKS, ids=[cid for cid, _ in CHECKS])
def test_options_are_the_generic_argument_and_typed(check_id: str, check: type) -> None:
    instance = check()
    assert type(instance.options) is check.Options
    with pytest.raises(Exception, match=r"extra|Extra"):
        check.Options.model_validate({"no_such_option": 1})


def test_enumerable_option_values_are_literals_so_a_rubric_typo_fails_at_load() -> None:
    template = registry.REGISTRY["paper.template"].Options
    (accepted,) = typing.get_args(template.model_fields["accepted"].annotation)[:1]
    assert typing.get_origin(accepted) is typing.Literal
    with pytest.raises(Exception, match="ieeetran-conference"):
        template.model_validate({"accepted": ["ieeetran-conferense"]})
