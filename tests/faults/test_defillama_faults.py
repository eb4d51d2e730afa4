"""defillama: every fault of the matrix, once with the fault and once clean, compared with a clean run."""

from __future__ import annotations

import pytest

from tests.faults.cases import defillama_cases
from tests.faults.conftest import defillama_world
from tests.faults.harness import matrix_tests

pytestmark = pytest.mark.faults
WORLD = defillama_world
test_fault, test_the_matrix_has_enough_cases = matrix_tests(defillama_cases())
