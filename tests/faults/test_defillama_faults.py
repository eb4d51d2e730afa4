"""defillama: every fault of the matrix, once with the fault and once clean, compared with a clean run."""

from __future__ import annotations

import pytest

from tests.faults.cases import defillama_cases
from tests.faults.conftest import defillama_world
from tests.faults.harness import Case, FaultWorld, check

pytestmark = pytest.mark.faults
WORLD = defillama_world
CASES = defillama_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fault(world: FaultWorld, case: Case) -> None:
    faulty, result = world.run_case(case)
    check(case, faulty, result)


def test_the_matrix_has_enough_cases() -> None:
    assert len(CASES) >= 25
