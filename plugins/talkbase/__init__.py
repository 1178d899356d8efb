"""talkbase: a weekly-talk knowledge base generator (YAML episodes -> mkdocs-material site)."""

__version__ = "0.1.0"
