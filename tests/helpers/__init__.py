"""Helpers shared by the molecule scenarios' testinfra tests and the unit tests."""
