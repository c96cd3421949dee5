"""Every validator: bad values name the key, the value and what is allowed."""

import pytest

from pruning_pipeline.config import ConfigError, key_fields, make_config, run_key
from pruning_pipeline.config.sources import parse_assignments


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("tau_post", "-0.1", ">= 0"),
        ("tau_post", "abc", ">= 0"),
        ("tau_loop", -1, ">= 0"),
        ("tau_loop", "nan", ">= 0"),
        ("percentile", 0, "(0, 100)"),
        ("percentile", "100", "(0, 100)"),
        ("percentile", -5, "(0, 100)"),
        ("steps", 0, ">= 1"),
        ("steps", "2.5", ">= 1"),
        ("batch_size", 0, ">= 1"),
        ("epochs", 0, ">= 1"),
        ("lr", 0, "> 0"),
        ("threads", 0, ">= 1"),
        ("hist_bins", 2, ">= 3"),
        ("sweep_points", 10, ">= 30"),
        ("seed", -1, ">= 0"),
        ("dataset", "cifar", "mnist-5k, mnist"),
        ("device", "tpu", "auto, cpu, cuda"),
        ("device", "mps:1", "auto, cpu, cuda"),
        ("profile", "huge", "default, quick"),
        ("in_loop_rule", "random", "threshold, percentile"),
        ("download", "maybe", "true or false"),
        ("report_taus", "0.1,-2", ">= 0"),
        ("nonsense_key", 1, "known keys are"),
    ],
)
def test_bad_value_names_key_value_and_allowed(key, value, allowed):
    with pytest.raises(ConfigError) as caught:
        make_config({key: value})
    message = str(caught.value)
    assert "\n" not in message
    assert f"{key}={value!r}" in message
    assert allowed in message


def test_strings_from_the_command_line_are_coerced():
    config = make_config(parse_assignments(["tau_post=0.2", "steps=10", "download=false", "epochs=none"]))
    assert (config.tau_post, config.steps, config.download, config.epochs) == (0.2, 10, False, None)


def test_profile_sets_defaults_that_explicit_keys_override():
    assert make_config({"profile": "quick"}).steps == 300
    assert make_config({"profile": "quick", "steps": 7}).steps == 7
    assert make_config({}).steps == 5625  # 3 epochs x 60,000 images / batch 32


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        make_config({}).tau_post = 1.0


def test_cache_key_ignores_where_things_live_but_not_what_changes_results():
    base = make_config({})
    assert run_key(base, "cpu", "c0") == run_key(make_config({"cache_dir": "/elsewhere"}), "cpu", "c0")
    assert run_key(base, "cpu", "c0") != run_key(make_config({"tau_post": 0.2}), "cpu", "c0")
    assert run_key(base, "cpu", "c0") != run_key(base, "cuda", "c0")
    assert run_key(base, "cpu", "c0") != run_key(base, "cpu", "c1")  # edited source
    only_training = ("seed", "steps")
    assert run_key(base, "cpu", "c0", only_training) == run_key(make_config({"tau_post": 0.2}), "cpu", "c0",
                                                                only_training)


def test_bad_assignment_syntax():
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignments(["tau_post"])


def test_mappings_come_as_json_from_the_environment_or_the_command_line():
    from pruning_pipeline.config.sources import config_values

    values = config_values({"model": "pkg.mod:build"},
                           {"PRUNING_MODEL_ARGS": '{"width": 64, "depth": 3}', "PRUNING_LAYERS": '{"types": ["Conv2d"]}'})
    config = make_config(values)
    assert config.model_args == {"width": 64, "depth": 3}
    assert config.layers.types == ("Conv2d",)
    assert make_config({"dataset_args": '{"n": 5}'}).dataset_args == {"n": 5}
    with pytest.raises(ConfigError, match="model_args='width=64'"):
        make_config({"model_args": "width=64"})


def test_the_users_code_is_part_of_the_key_not_where_it_lives():
    base = make_config({"model": "pkg.mod:build"})
    assert key_fields(base) != key_fields(make_config({}))
    assert key_fields(base) != key_fields(make_config({"model": "pkg.mod:build", "model_args": {"w": 1}}))
    assert key_fields(base) != key_fields(make_config({"model": "pkg.mod:build", "layers": {"exclude": ["x"]}}))


def test_several_processes_need_an_even_batch_split_and_no_fixed_gpu():
    assert make_config({"nproc_per_node": 4, "batch_size": 32}).world_size == 4
    with pytest.raises(ConfigError, match="batch_size=30; allowed: a multiple of the world size"):
        make_config({"nproc_per_node": 2, "nnodes": 2, "batch_size": 30})
    with pytest.raises(ConfigError, match="device='cuda:1'"):
        make_config({"nproc_per_node": 2, "device": "cuda:1"})
    assert "world_size" not in key_fields(make_config({}))  # one process keeps its old keys
    assert key_fields(make_config({"nproc_per_node": 2}))["world_size"] == 2


def test_every_option_says_what_it_allows_in_the_words_of_its_error():
    """The Configuration page prints OPTIONS[key].allowed: it must be what a bad value is told."""
    from dataclasses import fields

    from pruning_pipeline.config import OPTIONS, Config, ConfigError, make_config

    assert list(OPTIONS) == [f.name for f in fields(Config)]
    for key, option in OPTIONS.items():
        assert option.help.strip() and option.allowed.strip(), key
        with pytest.raises(ConfigError) as error:
            make_config({key: object()})
        message = str(error.value)
        assert message.startswith(f"invalid config: {key}=") and message.endswith(f"; allowed: {option.allowed}"), key


def test_every_published_metrics_path_is_documented():
    from handmade import fake_results

    from pruning_pipeline.site.published import publish
    from pruning_pipeline.site.schema import UNDESCRIBED, schema_rows

    metrics = fake_results().metrics
    two = {**metrics, "seeds": {"seeds": [0, 1], "run_ids": ["a", "b"], "per_seed": [metrics, metrics]}}
    for published in (publish(metrics), publish(two)):
        assert [path for path, _, text in schema_rows(published) if text == UNDESCRIBED] == []


def test_environment_overrides_only_known_options():
    from pruning_pipeline.config.sources import config_values

    values = config_values({"tau_post": 0.4, "seed": 0},
                           {"PRUNING_TAU_POST": "0.2", "PRUNING_PROFILE": "quick",
                            "PRUNING_PIPELINE_CACHE": "/x", "HOME": "/root"})
    assert values == {"tau_post": "0.2", "seed": 0, "profile": "quick"}
