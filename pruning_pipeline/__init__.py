"""Build-time experiment: train an MNIST CNN, prune it by magnitude, measure every stage.

The public entry points are `pruning_pipeline.api.run` (a config in, the cached
`Results` out) and the command line `python -m pruning_pipeline`.
"""

__version__ = "0.1.0"
