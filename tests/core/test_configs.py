"""Config dataclasses read back from manifests: removed options are dropped when off and refused when on,
tuples come back."""

import dataclasses

import pytest

from gan_style.gan.configs import DCGANConfig
from gan_style.qc.configs import QualityConfig, RepairConfig
from gan_style.style.configs import StyleConfig


def test_from_dict_drops_removed_options_at_their_off_values():
    old_dcgan = {**DCGANConfig().to_dict(), "augment": "", "r1_gamma": 0.0, "d_dropout": 0.0,
                 "g_top_k": 1.0, "label_smoothing": 0.0, "spectral_norm": False, "latent_dim": 16}
    assert DCGANConfig.from_dict(old_dcgan) == DCGANConfig(latent_dim=16)
    old_quality = {**QualityConfig(domain="rgb").to_dict(), "backbone": "none", "hard_steps": 0,
                   "hard_share": 0.5, "hard_pool": 20000, "hard_keep": 2000}
    assert QualityConfig.from_dict(old_quality) == QualityConfig(domain="rgb")
    old_repair = {"domain": "rgb", "width": 16, "sees_input": False, "learn_fill": True, "large_crop": 0,
                  "adversarial_weight": 0.0}
    assert RepairConfig.from_dict(old_repair) == RepairConfig(domain="rgb", width=16)  # absent: defaults


@pytest.mark.parametrize(("config", "name", "value"), [
    (DCGANConfig(), "spectral_norm", True), (DCGANConfig(), "augment", "translation"), (DCGANConfig(), "r1_gamma", 1.0),
    (QualityConfig(domain="rgb"), "backbone", "vgg16_hed"), (QualityConfig(domain="rgb"), "hard_steps", 1200),
    (RepairConfig(domain="rgb"), "sees_input", True), (RepairConfig(domain="rgb"), "adversarial_weight", 0.01),
])
def test_from_dict_refuses_a_removed_option_that_was_switched_on(config, name, value):
    with pytest.raises(ValueError, match=f"{name}=.*removed after commit 3695294"):
        type(config).from_dict({**config.to_dict(), name: value})


def test_from_dict_refuses_an_option_it_never_had():
    with pytest.raises(ValueError, match="no option 'widht'"):
        StyleConfig.from_dict({**StyleConfig().to_dict(), "widht": 8})


def test_from_dict_round_trips_every_config_through_json_lists():
    for config in (DCGANConfig(), QualityConfig(domain="rgb"), RepairConfig(), StyleConfig()):
        recorded = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}
        assert type(config).from_dict(recorded) == config
