"""The pure rules of the product: money, budget periods, the daily budget, projections, text checks.

Everything here is a function of its arguments: no database, no clock (today is passed in), no
Streamlit. It may import only the standard library, Babel and ``budget_core.errors``; every other
part of ``budget_core`` may import it.
"""
