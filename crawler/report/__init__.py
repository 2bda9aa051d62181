"""What users read after a run: report rows and changes, text/CSV, HTML and the webhook."""
