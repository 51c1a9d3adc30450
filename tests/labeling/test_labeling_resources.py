"""The actor-pool plan: never a GPU request without GPUs, always a CPU left for Ray Data's reads."""

from __future__ import annotations

import pytest

from learec.platform.common.fields import from_dict
from learec.platform.labeling.pipeline import LabelingConfig
from learec.platform.labeling.resources import READ_CPUS, plan_resources


def _leaves_read_cpu(cluster: dict[str, float], plan) -> bool:
    return plan.max_actors * plan.num_cpus_per_actor <= cluster["CPU"] - READ_CPUS + 1e-9


@pytest.mark.parametrize("cpus", [2.0, 3.0, 4.0, 16.0, 64.0])
@pytest.mark.parametrize("cpus_per_actor", [0.25, 0.5, 1.0, 3.0])
def test_cpu_plan_requests_no_gpu_and_keeps_a_read_cpu(cpus: float, cpus_per_actor: float) -> None:
    cluster = {"CPU": cpus, "memory": 8e9}
    plan = plan_resources(cluster, LabelingConfig(cpus_per_actor=cpus_per_actor))
    assert plan.device == "cpu"
    assert plan.num_gpus_per_actor is None  # not 0: Ray reads 0 as a GPU request
    assert "num_gpus" not in plan.resource_args()
    assert 1 <= plan.min_actors <= plan.max_actors
    assert 0 < plan.num_cpus_per_actor <= cpus_per_actor
    assert plan.max_actors * plan.num_cpus_per_actor < cpus
    assert _leaves_read_cpu(cluster, plan)


def test_two_cpus_get_two_half_cpu_actors() -> None:
    plan = plan_resources({"CPU": 2.0}, LabelingConfig(cpus_per_actor=0.5))
    assert (plan.max_actors, plan.num_cpus_per_actor) == (2, 0.5)


def test_local_core_limit_caps_a_cpu_pool_but_not_a_gpu_pool() -> None:
    # Local Ray on 2 cores announces 4 logical CPUs: without the limit, 6 half-CPU actors.
    assert plan_resources({"CPU": 4.0}, LabelingConfig()).max_actors == 6
    assert plan_resources({"CPU": 4.0}, LabelingConfig(), core_limit=2).max_actors == 2
    assert plan_resources({"CPU": 4.0}, LabelingConfig(max_actors=1), core_limit=2).max_actors == 1
    gpu = plan_resources({"CPU": 8.0, "GPU": 4.0}, LabelingConfig(), core_limit=2)
    assert gpu.max_actors == 4 and gpu.num_gpus_per_actor == 1.0


def test_one_cpu_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="num_cpus >= 2"):
        plan_resources({"CPU": 1.0}, LabelingConfig())


def test_no_resources_is_refused() -> None:
    with pytest.raises(ValueError, match="CPU"):
        plan_resources({}, LabelingConfig())


def test_max_actors_caps_the_pool() -> None:
    plan = plan_resources({"CPU": 64.0}, LabelingConfig(max_actors=3))
    assert plan.max_actors == 3


@pytest.mark.parametrize("cpus", [2.0, 8.0, 32.0])
def test_eight_gpus_give_one_gpu_per_actor(cpus: float) -> None:
    cluster = {"CPU": cpus, "GPU": 8.0}
    plan = plan_resources(cluster, LabelingConfig(batch_size=512))
    assert plan.device == "cuda"
    assert plan.num_gpus_per_actor == 1.0
    assert plan.resource_args()["num_gpus"] == 1.0
    assert plan.max_actors == 8
    assert isinstance(plan.batch_size, int) and plan.batch_size == 512
    assert _leaves_read_cpu(cluster, plan)


def test_gpu_pool_respects_max_actors_and_forced_cpu() -> None:
    assert plan_resources({"CPU": 16.0, "GPU": 8.0}, LabelingConfig(max_actors=2)).max_actors == 2
    cpu = plan_resources({"CPU": 16.0, "GPU": 8.0}, LabelingConfig(device="cpu"))
    assert cpu.device == "cpu" and cpu.num_gpus_per_actor is None


def test_cuda_without_gpu_is_refused() -> None:
    with pytest.raises(ValueError, match="no GPU"):
        plan_resources({"CPU": 8.0}, LabelingConfig(device="cuda"))


@pytest.mark.parametrize(
    "field, value",
    [("k", 0), ("batch_size", 0), ("rows_per_part", 0), ("max_actors", -1), ("cpus_per_actor", 0.0)],
)
def test_config_rejects_bad_values_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        LabelingConfig(**{field: value})  # the range declared on the field, checked on construction
    with pytest.raises(ValueError, match=rf"^labeling: {field} must be"):
        from_dict(LabelingConfig, {field: value}, where="labeling")
