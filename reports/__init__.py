"""Reports built from tracked runs: tables (Markdown, LaTeX, CSV), statistics, figures, HTML.

``tables`` renders result tables; ``report`` gathers the data of ``bench report`` from MLflow
and writes everything; ``stats`` has the paired and rank tests; ``figures`` the matplotlib
figures; ``html`` the self-contained page.
"""
