"""The run's configuration: one frozen `Config` (`run`), every option with what it
allows and means (`options`, with `make_config`), where values come from (`sources`).
The names below are the package's configuration API."""

from .options import OPTIONS, Option, make_config
from .run import (BATCH_SEEDS, DATASETS, DEVICE_NAMES, IMPORT_STRING, IN_LOOP_RULES, PROFILE_DEFAULTS, PROFILES,
                  REFERENCE_MODEL, REGEX_PREFIX, Config, LayerRule, is_import_string, key_fields, run_key,
                  stable_hash)
from .tensor_data import TENSOR_KEYS, TensorData
from .values import ConfigError, PipelineError, fail

__all__ = ["BATCH_SEEDS", "DATASETS", "DEVICE_NAMES", "IMPORT_STRING", "IN_LOOP_RULES", "OPTIONS", "Option",
           "PROFILE_DEFAULTS", "PROFILES", "REFERENCE_MODEL", "REGEX_PREFIX", "Config", "ConfigError", "LayerRule",
           "PipelineError", "TENSOR_KEYS", "TensorData", "fail", "is_import_string", "key_fields", "make_config",
           "run_key", "stable_hash"]
