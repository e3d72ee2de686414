"""The round report: a period's cumulative picture, one builder module per section."""
