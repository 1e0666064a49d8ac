# Grouped and parametrized benchmarks for tests/data/pytest/v5 (see README.md there): two groups
# set with @pytest.mark.benchmark(group=...), a two-parameter grid, and a pedantic benchmark
# with fixed rounds and iterations.
import pytest


def build(n, kind):
    return list(range(n)) if kind == "list" else tuple(range(n))


@pytest.mark.benchmark(group="build")
@pytest.mark.parametrize("kind", ["list", "tuple"])
@pytest.mark.parametrize("n", [10, 1000])
def test_build(benchmark, n, kind):
    benchmark.extra_info["n"] = n
    benchmark(build, n, kind)


@pytest.mark.benchmark(group="sort")
def test_sort(benchmark):
    data = list(range(500, 0, -1))
    benchmark(sorted, data)


@pytest.mark.benchmark(group="sort")
def test_sort_pedantic(benchmark):
    data = list(range(500, 0, -1))
    benchmark.pedantic(sorted, args=(data,), rounds=7, iterations=3)
