"""Playbooks, one TOML file a category (shipped as ``migrator.playbooks``)."""
