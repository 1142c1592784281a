"""The Streamlit side of Family Budget: the shared frame, widgets and formatting.

Pages call :func:`budget_app.frame.frame` first; everything they show is computed in
``budget_core`` and only formatted here.
"""
