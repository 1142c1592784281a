"""The app's look: one stylesheet, calm colours, tabular right-aligned money."""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
.block-container {max-width: 1180px; padding-top: 2.2rem;}
.fb-money {font-variant-numeric: tabular-nums; white-space: nowrap;}
.fb-neg {color: #b3261e;}
.fb-hero {border-radius: 14px; padding: 1.1rem 1.3rem; background: #eef5f1; border: 1px solid #d5e8dd;}
.fb-hero.fb-over {background: #fbeeee; border-color: #f0d0d0;}
.fb-hero-label {font-size: .95rem; color: #44524a; margin: 0;}
.fb-hero .fb-hero-value {font-size: 3.1rem; line-height: 1.1; font-weight: 650; color: #1d3b2c; margin: .15rem 0 .25rem 0;
                font-variant-numeric: tabular-nums;}
.fb-hero-sub {font-size: .95rem; color: #44524a; margin: 0;}
.fb-stats {display: grid; grid-template-columns: repeat(3, 1fr); gap: .6rem; margin: .8rem 0 .4rem 0;}
.fb-stat {border: 1px solid #e3e6e4; border-radius: 10px; padding: .55rem .75rem; background: #fff;}
.fb-stat-label {font-size: .8rem; color: #5d6a63;}
.fb-stat-value {font-size: 1.25rem; font-weight: 600; text-align: right; font-variant-numeric: tabular-nums;
                white-space: nowrap;}
.fb-table {width: 100%; border-collapse: collapse; font-size: .92rem;}
.fb-table, .fb-table tr, .fb-table th, .fb-table td {border: none !important; background: transparent;}
.fb-table th {text-align: left; font-weight: 600; color: #5d6a63; border-bottom: 1px solid #dde2df !important;
              padding: .35rem .4rem; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em;}
.fb-table td {border-bottom: 1px solid #e8ecea !important; padding: .42rem .4rem; vertical-align: top;}
.fb-table th.num, .fb-table td.num {text-align: right;}
.fb-muted {color: #6b7770; font-size: .85rem;}
.fb-feed {list-style: none; padding: 0; margin: 0;}
.fb-feed li {padding: .55rem 0; border-bottom: 1px solid #eef0ef; margin: 0;}
.fb-feed .fb-when {color: #6b7770; font-size: .8rem; display: block;}
.fb-pill {display: inline-block; padding: 0 .45rem; border-radius: 999px; background: #eef1f0; font-size: .78rem;
          color: #44524a;}
@media (max-width: 640px) {
  .block-container {padding-left: .9rem; padding-right: .9rem; padding-top: 3.2rem;}
  .fb-hero .fb-hero-value {font-size: 2.6rem;}
  .fb-stats {gap: .4rem;}
  .fb-stat {padding: .45rem .5rem;}
  .fb-stat-value {font-size: 1.0rem;}
  .fb-table {font-size: .85rem;}
  .fb-hide-narrow {display: none;}
}
</style>
"""


def apply() -> None:
    """Inject the stylesheet (a style-only block takes no space on the page)."""
    st.html(CSS)
