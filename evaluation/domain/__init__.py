"""Evaluation domain services that are not models: the stages part of the competition file."""
