"""Evaluations of a contact against a scorecard version: calibration of several evaluators and
their agreement (Krippendorff's alpha)."""
