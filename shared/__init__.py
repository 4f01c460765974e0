"""Mechanics shared by every connector in this repository: HTTP, masking, configuration, ..."""
