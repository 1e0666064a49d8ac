# The test module behind tests/data/pytest/special (see README.md there): benchmarks whose
# pytest-benchmark JSON holds what Python's json.dumps writes but JSON does not allow (NaN,
# Infinity, -Infinity) and an integer beyond 64 bits, next to ordinary values.
import pytest


def sum_squares(n):
    return sum(i * i for i in range(n))


@pytest.mark.parametrize("x", [1.5, float("inf"), float("-inf")])
def test_scale(benchmark, x):
    benchmark.extra_info["label"] = "plain string"
    benchmark(sum_squares, 50)


def test_extra_info(benchmark):
    benchmark.extra_info["ratio"] = float("nan")
    benchmark.extra_info["seed"] = 2**70
    benchmark.extra_info["hash"] = -(2**64) - 1
    benchmark.extra_info["label"] = "plain string"
    benchmark.extra_info["limits"] = [1, float("inf"), float("-inf")]
    benchmark(sum_squares, 100)


@pytest.mark.parametrize("n", [10, 2**70])
def test_big_param(benchmark, n):
    benchmark(sum_squares, min(n, 200))
