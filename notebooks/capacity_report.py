# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Capacity report
#
# Will this release hold the load? Each run below: its verdict against the SLO, its endpoints,
# and its charts; then the capacity model over all of them (Universal Scalability Law fitted to
# throughput against concurrency). Built by `loadgate notebook RUN_DIR... --out FILE.html`;
# every figure comes from `reports` functions, so it matches `loadgate report` and `loadgate gate`.

# %%
from IPython.display import display

from reports import charts
from reports.notebook import capacity_overview, png, run_overview
from reports.rundata import RunData

# %% tags=["parameters"]
run_dirs = []  # run directories, e.g. ["runs/20261128-140000-capacity-steps"]
slo_file = None  # an SLO file whose Total p95 marks where capacity ends, or None

# %%
runs = [RunData.open(path) for path in run_dirs]

# %% [markdown]
# ## Runs

# %%
for run in runs:
    display(run_overview(run, slo_file))
    display(png(charts.latency_over_time(run)))
    display(png(charts.throughput_and_users(run)))
    display(png(charts.percentile_spectrum(run)))

# %% [markdown]
# ## Capacity

# %%
text, chart = capacity_overview(runs, slo_file)
display(text)
if chart is not None:
    display(chart)
