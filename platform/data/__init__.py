"""Data layer: canonical schemas, loaders from public formats, preprocessing, splits and transitions."""
