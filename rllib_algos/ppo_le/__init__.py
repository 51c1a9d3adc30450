"""ppo_le package: PPO (RLlib) trained online in the LE environment, anchored to a warm-start policy."""
