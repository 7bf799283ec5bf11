from __future__ import annotations

import pytest

from camaudit.scope import Scope, ScopeError, parse_target


def test_cidr_range_and_short_range() -> None:
    scope = Scope.build(["127.70.0.0/30", "127.71.0.10-12", "127.72.0.1-127.72.0.2"])
    assert list(scope.addresses()) == [
        "127.70.0.0", "127.70.0.1", "127.70.0.2", "127.70.0.3",
        "127.71.0.10", "127.71.0.11", "127.71.0.12", "127.72.0.1", "127.72.0.2",
    ]
    assert scope.size() == 9


def test_exclude_is_honoured() -> None:
    scope = Scope.build(["127.70.0.0/29"], exclude=["127.70.0.2", "127.70.0.4/31"])
    got = list(scope.addresses())
    assert "127.70.0.2" not in got and "127.70.0.4" not in got and "127.70.0.5" not in got
    assert not scope.contains("127.70.0.2") and scope.contains("127.70.0.3")
    assert not scope.contains("10.0.0.1")


def test_public_space_refused_without_flag() -> None:
    with pytest.raises(ScopeError, match="--allow-public"):
        Scope.build(["8.8.8.0/24"])
    assert Scope.build(["8.8.8.8"], allow_public=True).size() == 1
    assert Scope.build(["10.0.0.0/8"]).size() == 1 << 24


@pytest.mark.parametrize("bad", ["300.1.1.1", "10.0.0.9-3", "abc", "10.0.0.0/33"])
def test_bad_targets_get_a_clear_error(bad: str) -> None:
    with pytest.raises(ScopeError):
        parse_target(bad)


def test_scope_is_lazy_for_large_networks() -> None:
    scope = Scope.build(["10.0.0.0/8"])
    it = scope.addresses()
    assert next(it) == "10.0.0.0"


def test_overlapping_targets_are_merged() -> None:
    scope = Scope.build(["10.0.0.0/30", "10.0.0.2", "10.0.0.1-3"])
    assert list(scope.addresses()) == ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert scope.size() == 4
    assert Scope.build(["10.0.0.0/24", "10.0.0.0/25"], exclude=["10.0.0.0/30", "10.0.0.1"]).size() == 252
