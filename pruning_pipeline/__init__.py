"""Build-time experiment: train an MNIST CNN, prune it by magnitude, measure every stage.

The public entry points are :func:`pruning_pipeline.api.run` (config in, cached
:class:`~pruning_pipeline.results.Results` out) and the CLI ``python -m pruning_pipeline``.
"""

__version__ = "0.1.0"
