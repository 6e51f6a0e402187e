"""Cloud Run jobs: batch work run on a schedule or by hand."""
