"""libcst codemods, one rewrite a module (shipped as ``migrator.codemods``)."""
