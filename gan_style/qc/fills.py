"""The repair U-Net's coarse fills by name (`RepairConfig.fill`, `build_repair_unet(fill=)`): the
`CoarseFill` settings of each. Plain data, so the configs read it without Keras and the network
without the configs (which import the artifact simulator, a layer above it)."""

# biharmonic steps chosen on whole validation pictures (CoarseFill's docstring): 8 at full size and
# 32 on the next three levels did as well as 16-64 and cost less; halving them saves 4% of a
# worst-case RGB repair for 0.07 dB (experiments/README.md, "Thin parts of an RGB hole")
FILLS = {"laplace": {}, "biharmonic": {"bi_iterations": 8, "bi_coarse_iterations": 32, "bi_levels": 4}}
