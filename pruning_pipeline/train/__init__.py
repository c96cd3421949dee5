"""Training: device choice, datasets, the reference model, the pruning rules, the
training loop and every kind of training run (plain, pruned in the loop, gradual,
fine-tuned). Its source is the key of the cached training runs: editing it retrains.
"""
