"""Comparison of models evaluated on the same cases (``ichseg compare``): reads each
model's ``metrics.csv``, runs the tests of :mod:`ichseg.stats` and writes the tables
and figures. The numbers come from :mod:`ichseg.stats`; this stage only reads and writes."""
