"""The training step shared by every learec algorithm (MARWIL's offline shape, RAY_NOTES §4.3)."""

from __future__ import annotations

from ray.rllib.algorithms.algorithm import Algorithm
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig
from ray.rllib.core.learner.training_data import TrainingData
from ray.rllib.utils.metrics import (
    LEARNER_RESULTS,
    LEARNER_UPDATE_TIMER,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    OFFLINE_SAMPLING_TIMER,
    TIMERS,
)


class RecRLAlgorithm(Algorithm):
    """Samples a batch (or one iterator per learner) from ``offline_data`` and updates the learners."""

    config_class: type[AlgorithmConfig] = AlgorithmConfig  # each algorithm declares its RecRLConfig

    @classmethod
    def get_default_config(cls) -> AlgorithmConfig:
        return cls.config_class(algo_class=cls)

    def training_step(self) -> None:
        c = self.config
        with self.metrics.log_time((TIMERS, OFFLINE_SAMPLING_TIMER)):
            # Remote learners (and several iterations per step) consume iterators, a local one a batch.
            use_iterator = c.num_learners > 0 or c.dataset_num_iters_per_learner != 1
            data = self.offline_data.sample(
                num_samples=c.train_batch_size_per_learner,
                num_shards=c.num_learners,
                return_iterator=use_iterator,
            )
            self.metrics.log_value(
                NUM_ENV_STEPS_SAMPLED_LIFETIME,
                c.train_batch_size_per_learner * max(1, c.num_learners),
                reduce="lifetime_sum",
            )
            training_data = TrainingData(data_iterators=data) if use_iterator else TrainingData(batch=data)
        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            results = self.learner_group.update(
                training_data=training_data,
                minibatch_size=c.train_batch_size_per_learner,
                num_iters=c.dataset_num_iters_per_learner,
                timesteps={NUM_ENV_STEPS_SAMPLED_LIFETIME: self.metrics.peek(NUM_ENV_STEPS_SAMPLED_LIFETIME)},
                **self.offline_data.iter_batches_kwargs,
            )
            self.metrics.aggregate(results, key=LEARNER_RESULTS)
