"""Reusable machines described as data (FakeSystem builders) for the probe and rule tests."""
