"""The hello-world anchor of `benchmarks/page_timeline.py`: a Streamlit page with a title,
a caption and the dashboard's seven KPI boxes (same keys and layout), nothing else.

    .venv/bin/streamlit run benchmarks/anchor_page.py
"""

import streamlit as st

st.set_page_config(page_title="anchor", layout="wide")
st.title("timeaudit", anchor=False)
st.caption("**A week** · Europe/Berlin · a hello-world page")
st.subheader("Week at a glance", anchor=False)
with st.container(key="kpis"):
    for index, column in enumerate([*st.columns(4), *st.columns(3)]):
        column.container(border=True).metric(f"Figure {index}", f"{index}.0 h", "+1.0 h")
