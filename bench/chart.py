#!/usr/bin/env python3
"""Where each tool's time goes: one horizontal bar per tool and case (size, link), split into its
phases, from a bench run's results.json (medians of the rounds). Writes an SVG.

    python3 bench/chart.py data/bench/results.json docs/bench-time.svg
"""
import html
import json
import statistics
import sys

NAMES = {"A": "A by hand", "B": "B pg-caravan", "C": "C pgcopydb", "D": "D pg_dump | psql", "E": "E pgcopydb split"}
# phases that run inside another one (B's manifest is counted during its dump) are not stacked
INSIDE = {"manifest"}
COLOURS = {
    "dump": "#4e79a7", "copy": "#f28e2b", "upload": "#f28e2b", "restore": "#59a14f", "early restore": "#8cd17d", "count": "#b07aa1",
    "verify": "#b07aa1", "checksum": "#edc948", "precheck": "#bab0ac", "roles": "#bab0ac", "prepare": "#bab0ac",
    "report": "#bab0ac", "whole run": "#9c755f", "other": "#d7d7d7",
}


def medians(runs):
    total = statistics.median(r["seconds"] for r in runs)
    phases = {}
    for name in runs[0]["phases"]:
        if name not in INSIDE:
            phases[name] = statistics.median(r["phases"].get(name, 0) for r in runs)
    if not phases:
        phases = {"whole run": total}
    rest = total - sum(phases.values())
    if rest > 0.05:
        phases["other"] = rest
    return total, phases


def svg(results):
    rows = []
    for case, r in results.items():
        for tool in [t for t in r if isinstance(r[t], list) and r[t]]:
            total, phases = medians(r[tool])
            rows.append((case, NAMES.get(tool, tool), total, phases))
    longest = max(t for _, _, t, _ in rows)
    width, left, bar, gap = 900, 250, 18, 6
    scale = (width - left - 60) / longest
    y = 40
    out = []
    last_case = None
    for case, tool, total, phases in rows:
        if case != last_case:
            y += 14
            out.append(f'<text x="10" y="{y}" font-weight="bold">{html.escape(case)}</text>')
            y += 8
            last_case = case
        out.append(f'<text x="20" y="{y + bar - 5}">{html.escape(tool)}</text>')
        x = left
        for name, secs in phases.items():
            w = secs * scale
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS.get(name, "#999")}">'
                       f'<title>{html.escape(name)} {secs:.1f} s</title></rect>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + bar - 5}">{total:.1f} s</text>')
        y += bar + gap
    legend = [n for n in COLOURS if any(n in p for *_, p in rows)]
    lx = 10
    y += 16
    for n in legend:
        out.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{COLOURS[n]}"/>'
                   f'<text x="{lx + 16}" y="{y + 11}">{html.escape(n)}</text>')
        lx += 24 + 7 * len(n)
    height = y + 30
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">'
            f'<rect width="100%" height="100%" fill="white"/>'
            f'<text x="10" y="20" font-size="14">Where the time goes (medians, seconds; hover for each phase)</text>'
            + "".join(out) + "</svg>\n")


if __name__ == "__main__":
    data = json.load(open(sys.argv[1]))
    open(sys.argv[2], "w").write(svg(data))
