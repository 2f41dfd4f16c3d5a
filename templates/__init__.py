"""jinja2 templates: plan documents and the target's runtime (shipped as ``migrator.templates``)."""
