"""Config dataclasses read back from manifests: removed options are dropped, tuples come back."""

import dataclasses

from gan_style.gan.configs import DCGANConfig
from gan_style.qc.configs import QualityConfig, RepairConfig
from gan_style.style.configs import StyleConfig


def test_from_dict_drops_keys_that_are_no_longer_fields():
    old_dcgan = {**DCGANConfig().to_dict(), "augment": "translation", "r1_gamma": 1.0, "d_dropout": 0.3,
                 "g_top_k": 0.5, "label_smoothing": 0.1, "spectral_norm": True, "latent_dim": 16}
    assert DCGANConfig.from_dict(old_dcgan) == DCGANConfig(latent_dim=16)
    old_quality = {**QualityConfig(domain="rgb").to_dict(), "backbone": "vgg16_hed", "hard_steps": 1200,
                   "hard_share": 0.25, "hard_pool": 20000, "hard_keep": 2000}
    assert QualityConfig.from_dict(old_quality) == QualityConfig(domain="rgb")
    old_repair = {"domain": "rgb", "width": 16, "sees_input": True, "learn_fill": False, "large_crop": 128,
                  "adversarial_weight": 0.0}
    assert RepairConfig.from_dict(old_repair) == RepairConfig(domain="rgb", width=16)  # absent: defaults


def test_from_dict_round_trips_every_config_through_json_lists():
    for config in (DCGANConfig(), QualityConfig(domain="rgb"), RepairConfig(), StyleConfig()):
        recorded = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}
        assert type(config).from_dict(recorded) == config
