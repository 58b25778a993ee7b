"""Imports every rule module so that their rules register; add new areas here."""
