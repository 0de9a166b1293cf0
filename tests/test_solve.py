"""The identity solver and the candidate readings, alone."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from nianbao.extract.candidates import compositions
from nianbao.extract.solve import Identity, propagate, violations
from nianbao.normalize import norm_label, parse_number

ROW = Identity(rule="t", left=("t",), right=("a", "b", "c"), infer=True, anchor="")


def test_single_unknown_is_solved():
    values = {"t": Decimal(5), "a": Decimal(2), "b": None, "c": Decimal(1)}
    assert propagate(values, [ROW]) == {"b": Decimal(2)}


def test_zero_total_forces_zero_parts():
    values = {"t": Decimal(0), "a": None, "b": None, "c": Decimal(0)}
    assert propagate(values, [ROW]) == {"a": 0, "b": 0}


def test_two_unknowns_with_something_to_share_stay_unknown():
    values = {"t": Decimal(3), "a": None, "b": None, "c": Decimal(1)}
    assert propagate(values, [ROW]) == {}


def test_negative_solution_is_not_made():
    values = {"t": Decimal(1), "a": None, "b": Decimal(2), "c": Decimal(1)}
    assert propagate(values, [ROW]) == {}
    assert values["a"] is None


def test_violation_needs_every_cell():
    assert violations({"t": Decimal(4), "a": Decimal(1), "b": Decimal(1), "c": Decimal(1)}, [ROW]) == [ROW]
    assert violations({"t": Decimal(4), "a": None, "b": Decimal(1), "c": Decimal(1)}, [ROW]) == []


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=5))
def test_compositions_contain_the_true_cut(numbers):
    digits = "".join(map(str, numbers))
    assert tuple(map(str, numbers)) in set(compositions(digits, len(numbers)))


def test_labels_normalise_enumerators_quotes_and_width():
    assert norm_label("(一)、 主动公开") == norm_label("（一）主动公开")
    assert norm_label("3. 危及“三安全一稳定”") == norm_label("3．危及三安全一稳定")
    assert norm_label("1、申请人") == "1.申请人"


def test_numbers():
    assert parse_number("１,０７７,９８０元").value == 1077980  # type: ignore[union-attr]
    assert parse_number("+12").signed  # type: ignore[union-attr]
    assert parse_number("12件").unit == "件"  # type: ignore[union-attr]
    assert parse_number("第2条") is None


def test_a_long_glued_run_is_cut_with_the_row_identities_pruning_as_it_goes():
    from nianbao.extract.candidates import compositions

    digits = "1413523410895321034522"  # 表四: 14 13 5 2 34 | 10 8 9 5 32 | 10 3 4 5 22
    every = sum(1 for _ in compositions(digits, 15))
    assert every > 20_000  # more than the reader would enumerate without pruning

    def adds_up(cut: tuple[str, ...]) -> bool:
        values = [int(x) for x in cut]
        return all(len(values) < end or sum(values[end - 5:end - 1]) == values[end - 1] for end in (5, 10, 15))

    kept = list(compositions(digits, 15, adds_up))
    assert ("14", "13", "5", "2", "34", "10", "8", "9", "5", "32", "10", "3", "4", "5", "22") in kept
    assert all(adds_up(cut) for cut in kept) and len(kept) < 50
