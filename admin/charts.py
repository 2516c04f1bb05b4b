"""Charts as inline SVG drawn on the server: they work offline, with no script."""

from markupsafe import Markup
from markupsafe import escape

PALETTE = ("#1456b8", "#3f8ae0", "#8fb8ec", "#f5a623", "#c2272d", "#2e8b57", "#7b61c9", "#5b6b7f", "#d46b08")


def hbars(rows: list[tuple[str, int]], colors=None, width: int = 420) -> Markup:
    """Horizontal bars, one per (label, value), with the value and its share."""
    total = sum(v for _, v in rows) or 1
    peak = max((v for _, v in rows), default=0) or 1
    bar_h, gap, label_w = 20, 8, 96
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="条形图" '
        f'xmlns="http://www.w3.org/2000/svg" style="max-width:{width}px">'
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 110) * value / peak
        color = (colors or PALETTE)[i % len(colors or PALETTE)]
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12">{value}（{100 * value / total:.1f}%）</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())


def trend(rows: list[dict], width: int = 560, height: int = 220) -> Markup:
    """Monthly rating counts as bars and 好评率 as a line (right axis, 80–100% or lower when needed)."""
    if not rows:
        return Markup('<p class="muted">所选期间暂无评价</p>')  # noqa: S704
    left, right, top, bottom = 36, 44, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(r["rated"] for r in rows) or 1
    rates = [r["good_rate"] for r in rows if r["good_rate"] is not None]
    floor = min(80.0, (min(rates) // 10) * 10 if rates else 80.0)
    step = plot_w / len(rows)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="月度趋势" '
        f'xmlns="http://www.w3.org/2000/svg" style="max-width:{width}px">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#c9cdd4"/>',
        f'<text x="0" y="{top + 8}" font-size="10" fill="#646a73">{peak}</text>',
        f'<text x="{width - right + 4}" y="{top + 8}" font-size="10" fill="#c2272d">100%</text>',
        f'<text x="{width - right + 4}" y="{top + plot_h}" font-size="10" fill="#c2272d">{floor:.0f}%</text>',
    ]
    points = []
    for i, r in enumerate(rows):
        x = left + i * step
        h = plot_h * r["rated"] / peak
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="#8fb8ec"><title>{escape(r["month"])}：{r["rated"]} 条评价</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">'
            f"{escape(r['month'][2:])}</text>"
        )
        if r["good_rate"] is not None:
            y = top + plot_h * (100 - r["good_rate"]) / (100 - floor)
            points.append(f"{x + step / 2:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x + step / 2:.1f}" cy="{y:.1f}" r="3" fill="#c2272d">'
                f"<title>好评率 {r['good_rate']:.2f}%</title></circle>"
            )
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#c2272d" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())
