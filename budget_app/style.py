"""The app's look: one stylesheet, calm colours, tabular right-aligned money, light and dark.

Streamlit's own light and dark themes are in ``.streamlit/config.toml`` (``[theme.light]``,
``[theme.dark]``): with both set it follows the device (``prefers-color-scheme``). Everything
custom here takes its text colour from the theme and draws tints and borders with translucent
colours, so it reads on either background; the few solid colours (the warning red, the headline
green) have a dark-mode value under ``@media (prefers-color-scheme: dark)``.
"""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
:root {
  --fb-green: #1d5c3f; --fb-red: #b3261e;
  --fb-tint: rgba(47, 125, 87, .10); --fb-tint-border: rgba(47, 125, 87, .30);
  --fb-red-tint: rgba(179, 38, 30, .08); --fb-red-border: rgba(179, 38, 30, .32);
  --fb-line: rgba(128, 128, 128, .28); --fb-line-soft: rgba(128, 128, 128, .18);
  --fb-pill: rgba(128, 128, 128, .16);
  --fb-warn: #8a4b00; --fb-warn-tint: rgba(255, 152, 0, .18);
}
@media (prefers-color-scheme: dark) {
  :root {
    --fb-green: #8fd6b0; --fb-red: #ff8a80;
    --fb-tint: rgba(111, 207, 151, .12); --fb-tint-border: rgba(111, 207, 151, .32);
    --fb-red-tint: rgba(255, 138, 128, .12); --fb-red-border: rgba(255, 138, 128, .38);
    --fb-warn: #ffb870;
  }
}
.block-container {max-width: 1180px; padding-top: 2.2rem;}
.fb-money {font-variant-numeric: tabular-nums; white-space: nowrap;}
.fb-neg {color: var(--fb-red);}
.fb-muted {opacity: .72; font-size: .85rem;}
.fb-hero {border-radius: 14px; padding: 1rem 1.2rem; background: var(--fb-tint); border: 1px solid var(--fb-tint-border);
          overflow-wrap: anywhere; position: relative;}
.fb-hero.fb-over {background: var(--fb-red-tint); border-color: var(--fb-red-border);}
.fb-hero-label {font-size: 1rem; font-weight: 600; margin: 0; opacity: .85;}
.fb-hero .fb-hero-value {font-size: 3.1rem; line-height: 1.1; font-weight: 700; color: var(--fb-green);
                margin: .1rem 0 .3rem 0; font-variant-numeric: tabular-nums;}
.fb-hero .fb-hero-value.fb-long {font-size: 2.1rem;}
.fb-hero .fb-hero-value.fb-longer {font-size: 1.5rem;}
.fb-hero.fb-over .fb-hero-value {color: var(--fb-red);}
.fb-hero .fb-hero-value .fb-money {white-space: normal;}
.fb-hero-unit {font-size: 1.1rem; font-weight: 600;}
.fb-hero-sub {font-size: .95rem; margin: 0; opacity: .9;}
.fb-hero-next {font-size: .9rem; margin: .55rem 0 0 0; padding-top: .5rem; border-top: 1px solid var(--fb-line);}
.fb-stats {display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem; margin: .8rem 0 .4rem 0;}
.fb-stat {border: 1px solid var(--fb-line); border-radius: 10px; padding: .55rem .75rem; min-width: 0;}
.fb-stat-label {font-size: .8rem; opacity: .75;}
.fb-stat-value {font-size: 1.25rem; font-weight: 600; text-align: right; font-variant-numeric: tabular-nums;
                overflow-wrap: anywhere;}
.fb-stat-value .fb-money {white-space: normal;}
.fb-table {width: 100%; border-collapse: collapse; font-size: .92rem;}
.fb-table, .fb-table tr, .fb-table th, .fb-table td {border: none !important; background: transparent;}
.fb-table th {text-align: left; font-weight: 600; opacity: .75; border-bottom: 1px solid var(--fb-line) !important;
              padding: .35rem .4rem; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em;}
.fb-table td {border-bottom: 1px solid var(--fb-line-soft) !important; padding: .42rem .4rem; vertical-align: top;}
.fb-table th.num, .fb-table td.num {text-align: right;}
.fb-table tfoot td {font-weight: 600; border-top: 1px solid var(--fb-line) !important;}
.fb-table .fb-diff {background: rgba(255, 193, 7, .22); border-radius: 4px;}
.fb-edit {all: unset; cursor: pointer; text-decoration: underline; text-decoration-color: var(--fb-line);
          text-underline-offset: 3px;}
.fb-edit:hover, .fb-edit:focus-visible {text-decoration-color: currentColor; outline: none;}
.fb-feed {list-style: none; padding: 0; margin: 0;}
.fb-feed li {padding: .55rem 0; border-bottom: 1px solid var(--fb-line-soft); margin: 0;}
.fb-when {opacity: .7; font-size: .8rem; display: block;}
.fb-pill {display: inline-block; padding: 0 .45rem; border-radius: 999px; background: var(--fb-pill); font-size: .78rem;}
/* The quick-entry form in the page is for phones; wide screens have it in the sidebar. */
.st-key-fb_phone_entry {display: none;}
/* The undo toast: bottom centre, above everything, for a few seconds after a delete. */
.st-key-fb_undo {position: fixed; bottom: 1.2rem; left: 50%; transform: translateX(-50%); z-index: 999990;
                 width: auto !important; max-width: calc(100vw - 2rem); padding: .35rem .5rem .35rem 1rem;
                 border-radius: 10px; background: #2b2f2d; color: #f4f6f5; box-shadow: 0 4px 18px rgba(0, 0, 0, .3);}
.st-key-fb_undo p, .st-key-fb_undo span {color: #f4f6f5; margin: 0;}
/* While the connection to the server is down (budget_app/browser). */
.fb-offline-bar {position: fixed; top: 0; left: 0; right: 0; z-index: 1000000; padding: .45rem 1rem;
                 text-align: center; font-weight: 600; background: #ffd166; color: #2b2300;
                 box-shadow: 0 2px 8px rgba(0, 0, 0, .2);}
.fb-offline-bar[hidden] {display: none;}
.fb-offline-bar a {color: inherit; text-decoration: underline; margin-left: .4rem;}
.fb-stale .fb-figure, .fb-stale .fb-stat-value, .fb-stale [data-testid="stVegaLiteChart"] {opacity: .45;}
.fb-stale .fb-hero::after {content: "May be out of date"; position: absolute; top: .6rem; right: .8rem;
                           font-size: .75rem; font-weight: 600; padding: .05rem .45rem; border-radius: 999px;
                           background: #ffd166; color: #2b2300;}
@media (max-width: 640px) {
  .block-container {padding-left: .9rem; padding-right: .9rem; padding-top: 3.2rem;}
  .fb-hero {padding: .8rem 1rem;}
  .fb-hero .fb-hero-value {font-size: 2.6rem;}
  .fb-hero .fb-hero-value.fb-long {font-size: 1.8rem;}
  .fb-hero .fb-hero-value.fb-longer {font-size: 1.3rem;}
  .fb-stats {gap: .4rem; grid-template-columns: repeat(2, minmax(0, 1fr));}
  .fb-stat {padding: .45rem .5rem;}
  .fb-stat-value {font-size: 1.0rem;}
  .fb-table {font-size: .85rem;}
  .fb-hide-narrow {display: none;}
  .st-key-fb_phone_entry {display: block; margin-top: .5rem;}
}
/* Today's notes (bills, carry-over, rows waiting for a category) */
.fb-notes {margin: .55rem 0 .2rem 0; padding: 0; list-style: none;}
.fb-notes li {font-size: .92rem; margin: .18rem 0; line-height: 1.35;}
.fb-notes .fb-tag {display: inline-block; min-width: 5.6rem; opacity: .7; font-size: .8rem; text-transform: uppercase;
                   letter-spacing: .03em;}
.fb-notes .fb-warn {color: var(--fb-warn);}
/* imported rows: a table on wide screens, cards on a phone */
.fb-rows {width: 100%; border-collapse: collapse; font-size: .9rem;}
.fb-rows, .fb-rows tr, .fb-rows th, .fb-rows td {border: none !important; background: transparent;}
.fb-rows th {text-align: left; font-size: .78rem; opacity: .75; text-transform: uppercase; letter-spacing: .03em;
             padding: .3rem .4rem; border-bottom: 1px solid var(--fb-line) !important;}
.fb-rows td {padding: .4rem .4rem; border-bottom: 1px solid var(--fb-line-soft) !important; vertical-align: top;}
.fb-rows td.num {text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;}
.fb-rows .fb-why {display: inline-block; margin-left: .3rem; padding: 0 .4rem; border-radius: 999px; font-size: .74rem;
                  background: var(--fb-pill);}
.fb-rows .fb-why.fb-decide {background: var(--fb-warn-tint); color: var(--fb-warn);}
.fb-rows .fb-sub {display: block; opacity: .72; font-size: .8rem;}
@media (max-width: 640px) {
  .fb-rows thead {display: none;}
  .fb-rows, .fb-rows tbody, .fb-rows tr, .fb-rows td {display: block; width: 100%;}
  .fb-rows tr {border: 1px solid var(--fb-line) !important; border-radius: 10px; padding: .35rem .6rem; margin: 0 0 .5rem 0;}
  .fb-rows td {border: none !important; padding: .1rem 0;}
  .fb-rows td.num {text-align: left; font-weight: 600;}
  .fb-rows td[data-label]::before {content: attr(data-label) " "; opacity: .72; font-size: .78rem;}
}
</style>
"""


def apply() -> None:
    """Inject the stylesheet (a style-only block takes no space on the page)."""
    st.html(CSS)
