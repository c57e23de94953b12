"""Consolidate: checked rows into enterprises, the report, the subsidy estimate; the workers."""
__all__ = ["cities_of", "missing_counties", "run"]       # the library's entry point (from .pipeline)


def __getattr__(name: str):
    """The pipeline is imported when first asked for, not with the package: importing it
    loads pandas and pandera (0.8 s), and the CLI starts its workers from `.machinery`
    before that, so that the reading overlaps those imports."""
    if name in __all__:
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
