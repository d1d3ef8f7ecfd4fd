"""Analysis: distances between models, 2-D projections and stable layouts."""
