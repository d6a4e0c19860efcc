"""Measuring a submission, one subpackage per check family; analysis measures and never scores."""
