"""Trainers: `keras.Model` subclasses overriding `train_step`, apart from the networks they train."""
