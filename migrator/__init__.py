"""migrator: takes stateful Python web services to stateless ones."""

__version__ = "0.1.0"
