"""Result tables (Markdown, LaTeX, CSV) built from records or tracked MLflow runs."""
