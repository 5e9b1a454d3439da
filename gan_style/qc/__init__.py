"""QC stage: simulated and real failures, the quality regressor that scores pictures, the repair
U-Net that fills what it flags, the pipeline joining them (`pipeline.QCPipeline`), their trainers
and evaluations."""
