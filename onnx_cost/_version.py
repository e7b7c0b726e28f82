"""The version, in a module of its own: the renderers that print it import this, not the
package (whose ``__init__`` imports the API, and so everything: an import circle)."""

__version__ = "0.1.0"
