"""Artemis source tests."""
