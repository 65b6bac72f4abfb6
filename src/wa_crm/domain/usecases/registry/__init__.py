"""The member registry: patients and their orders imported from CSV files."""
