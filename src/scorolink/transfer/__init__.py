"""Export any object to CSV and import CSV files or database tables into Scoro."""
