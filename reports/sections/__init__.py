"""Pure builders of the weekly picture, one module per section.

Each takes the week's rows (`common.Week`, made from storage.weekly.WeekRows) and returns the
section's dataclass from reports/model.py; none of them reads the database or a file.
"""
