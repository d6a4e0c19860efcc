"""Placement: a group goes to a worker whose Docker Engine holds the environment its last report names."""

from __future__ import annotations

from grader.cluster.placement import next_group, prefer_workers


def test_a_group_goes_to_the_worker_holding_its_environment() -> None:
    holdings = {"tcp://a": ("k1",), "tcp://b": ("k2", "k3")}
    assert prefer_workers({"g1": "k2", "g2": "k1", "g3": None, "g4": "k3"}, holdings) == {
        "g1": "tcp://b", "g2": "tcp://a", "g4": "tcp://b"}


def test_groups_of_a_key_held_twice_are_spread_over_its_holders() -> None:
    holdings = {"tcp://a": ("k",), "tcp://b": ("k",), "tcp://c": ()}
    placed = prefer_workers({f"g{i}": "k" for i in range(4)}, holdings)
    assert sorted(placed.values()) == ["tcp://a", "tcp://a", "tcp://b", "tcp://b"]


def test_a_key_nobody_holds_but_several_groups_share_is_built_once() -> None:
    placed = prefer_workers({"g1": "new", "g2": "other", "g3": "new", "g4": "lonely"}, {"tcp://a": (), "tcp://b": ()})
    assert placed["g1"] == placed["g3"]  # one worker builds it, the other group reuses it
    assert "g2" not in placed and "g4" not in placed  # nothing to share: Dask places them freely


def test_no_ready_worker_or_no_known_key_means_no_preference() -> None:
    assert prefer_workers({"g1": "k"}, {}) == {}
    assert prefer_workers({"g1": None, "g2": ""}, {"tcp://a": ("k",)}) == {}


def test_the_order_workers_answered_in_does_not_change_the_placement() -> None:
    keys = {f"g{i}": f"k{i % 3}" for i in range(9)}
    holdings = {"tcp://b": ("k1",), "tcp://a": ("k1", "k2")}
    assert prefer_workers(keys, holdings) == prefer_workers(keys, dict(reversed(list(holdings.items()))))


def test_a_free_worker_gets_a_group_it_holds_then_one_that_prefers_none() -> None:
    preferred = {"g2": "tcp://a", "g3": "tcp://b"}
    assert next_group(["g1", "g2", "g3"], preferred, "tcp://b") == "g3"
    assert next_group(["g2", "g3", "g4"], preferred, "tcp://c") == "g4"  # nothing prefers c: one that waits for none
    assert next_group(["g2", "g3"], preferred, "tcp://c") == "g2"  # everything prefers another: roster order
    assert next_group(["g2", "g1"], preferred, None) == "g1"


def test_the_worker_is_named_on_stages_but_pips_lines_reach_the_parser_unchanged() -> None:
    from grader.cli.progress import PipActivity
    from grader.cluster.client import on_worker
    from grader.models import PIP_OUTPUT

    assert on_worker("cloning", "w1") == "cloning (on w1)"
    line = on_worker(PIP_OUTPUT + "Installing collected packages: numpy, torch", "w1")
    assert PipActivity().feed(line[len(PIP_OUTPUT):]) == ("installing 2 package(s) (numpy, torch)", True)
