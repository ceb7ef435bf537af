"""descent.png: the paths on the contour lines of f with arrows of the negative gradient; f, x and y against step."""

import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from trainer.runs.plots import save
from trainer.teaching.descent.functions import Surface
from trainer.teaching.descent.paths import Descent

ARROW_POINTS = (
    4  # arrows of -gradient at the first few points of a single path (only at the start when comparing)
)

MAX_MARKED_STEPS = 100  # a dot per point up to this many; longer paths are drawn as lines

MAX_ZOOM_OUT = 3.0  # a path may widen the view to at most this many times the function's own window


F_CEILING = 1e6  # the f axis ends this many times above the largest starting |f|


def plot_descent(path: Path, surface: Surface, descents: list[Descent], title: str) -> Path:
    """`title` names the function ("" for a formula of the user's); the formula follows it. A formula
    without y is drawn as a curve with tangent lines (the derivative), otherwise as contour lines."""
    figure = Figure(figsize=(13, 6.4), layout="constrained")
    grid = figure.add_gridspec(2, 2, width_ratios=[1.15, 1])
    ax, f_ax, x_ax = (
        figure.add_subplot(grid[:, 0]),
        figure.add_subplot(grid[0, 1]),
        figure.add_subplot(grid[1, 1]),
    )
    window = view(surface, descents)
    markers = (
        "os^Dv<>ph8" if len(descents[0].rows) <= MAX_MARKED_STEPS else [""] * 10
    )  # beyond, dots would hide the lines
    styles = list(zip(matplotlib.colormaps["tab10"].colors if len(descents) > 1 else ["crimson"], markers))
    marked = descents[0].rows[: ARROW_POINTS if len(descents) == 1 else 1]  # where to show the gradient
    draw = _draw_contours if surface.uses_y else _draw_curve
    draw(ax, surface, descents, window, styles, marked)
    ax.set_title(f"{title}{': ' if title else ''}f(x, y) = {surface.formula}", fontsize=10)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    _draw_steps(f_ax, x_ax, descents, window, styles, with_y=surface.uses_y and len(descents) == 1)
    save(figure, path)
    return path


def _draw_contours(ax, surface: Surface, descents, window, styles, marked) -> None:
    """The paths over the contour lines of f, the minima as stars, arrows of -gradient at the `marked` rows."""
    (x_low, x_high), (y_low, y_high) = window
    X, Y = np.meshgrid(np.linspace(x_low, x_high, 300), np.linspace(y_low, y_high, 300))
    Z = surface.grid(X, Y)
    levels = contour_levels(Z)
    ax.contourf(X, Y, Z, levels=levels, cmap="Blues", alpha=0.45)
    ax.contour(X, Y, Z, levels=levels, colors="steelblue", linewidths=0.6)
    for number, (x, y) in enumerate(surface.minima):
        ax.plot(
            x, y, "*", color="gold", mec="black", ms=15, zorder=5, label="minimum" if number == 0 else None
        )
    far = _grow(window, 10.0)  # beyond this, a diverging path is cut where it leaves (the view is smaller)
    for number, (descent, (color, marker)) in enumerate(zip(descents, styles)):
        points = visible_part(np.array([(row.x, row.y) for row in descent.rows]), far)
        on_top = 4 + 1 / (
            1 + number
        )  # the first paths on top: in a list of growing lr, the long wild ones at the bottom
        ax.plot(
            points[:, 0],
            points[:, 1],
            "-",
            marker=marker,
            color=color,
            ms=4,
            lw=1.2,
            alpha=0.8,
            zorder=on_top,
        )
        ax.plot(points[-1, 0], points[-1, 1], "X", color=color, mec="black", ms=9, zorder=6)
    start = descents[0].rows[0]
    ax.plot(
        start.x,
        start.y,
        "o",
        color="white",
        mec="black",
        ms=10,
        zorder=7,
        label=f"start ({start.x:g}, {start.y:g})",
    )
    _gradient_arrows(ax, marked, window)
    ax.set(xlim=(x_low, x_high), ylim=(y_low, y_high), xlabel="x", ylabel="y", aspect="equal")


def _draw_curve(ax, surface: Surface, descents, window, styles, _marked) -> None:
    """f against x with the path's points on it, and the tangents at the first and last point: their slope is df/dx."""
    (x_low, x_high), _ = window
    x = np.linspace(x_low, x_high, 400)
    curve = surface.grid(x, np.zeros_like(x))
    ax.plot(x, curve, color="steelblue", lw=2, label="f")
    far = _grow(window, 10.0)
    for descent, (color, marker) in zip(descents, styles):
        inside = len(visible_part(np.array([(row.x, 0.0) for row in descent.rows]), far))
        rows = [row for row in descent.rows[:inside] if np.isfinite(row.f)]
        ax.plot(
            [row.x for row in rows],
            [row.f for row in rows],
            "-",
            marker=marker,
            color=color,
            ms=5,
            lw=0.8,
            alpha=0.8,
            zorder=4,
        )
    half = 0.12 * (x_high - x_low)
    start, end = descents[0].rows[0], descents[0].rows[-1]
    for row in (
        (start, end) if np.isfinite(end.f) else (start,)
    ):  # the slope where descent starts, and where it stops
        t = np.array([row.x - half, row.x + half])
        ax.plot(
            t,
            row.f + row.dfdx * (t - row.x),
            color="black",
            lw=1.5,
            zorder=6,
            label="tangent: its slope is df/dx" if row is start else None,
        )
        ax.annotate(
            f"x = {row.x:.4g}: f = {row.f:.4g}, df/dx = {row.dfdx:.3g}",
            (row.x, row.f),
            textcoords="offset points",
            xytext=(-12, 14),
            ha="right",
            fontsize=9,
            zorder=8,
            bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8},
        )
    finite = curve[np.isfinite(curve)]
    low, high = finite.min(), finite.max()
    ax.set(
        xlim=(x_low, x_high),
        ylim=(low - 0.05 * (high - low), high + 0.1 * (high - low)),
        xlabel="x",
        ylabel="f",
    )
    ax.grid(True, alpha=0.3)


def _draw_steps(f_ax, x_ax, descents, window, styles, with_y: bool) -> None:
    """f, x (and y) at each step, a line per path: the f panel's legend names each path and what it did."""
    for descent, (color, marker) in zip(descents, styles):
        steps = [row.step for row in descent.rows]
        line = {"marker": marker, "color": color, "ms": 3, "lw": 1.2}
        f_ax.plot(
            steps,
            [row.f for row in descent.rows],
            "-",
            alpha=0.8,
            label=f"{descent.label}: {descent.verdict}",
            **line,
        )
        x_ax.plot(steps, [row.x for row in descent.rows], "-", alpha=0.8, **line)
        if with_y:
            x_ax.plot(steps, [row.y for row in descent.rows], "--", alpha=0.5, mfc="none", **line)
    finite = np.array([row.f for descent in descents for row in descent.rows])
    finite = finite[np.isfinite(finite)]
    log = finite.min() >= 0 and finite.max() > 100 * max(finite[finite > 0].min(initial=math.inf), 1e-300)
    # a diverging path's f (up to 1e308) would stretch the axis past what can be drawn (matplotlib
    # overflows, the panel stays empty): it leaves the plot at the top, F_CEILING above the starts.
    # The limits go first, so that the log scale never autoscales to the huge values.
    ceiling = F_CEILING * max(max(abs(descent.rows[0].f) for descent in descents), 1.0)
    if finite.max() > ceiling:
        shown = finite[finite <= ceiling]
        low = shown[shown > 0].min(initial=ceiling) / 2 if log else shown.min(initial=0.0)
        f_ax.set_ylim(low, ceiling)
    if log:
        f_ax.set_yscale("log", nonpositive="mask")  # descent shrinks f by orders of magnitude
    f_ax.set(ylabel="f(x, y)", title="f at each step")
    f_ax.legend(fontsize=8, loc="best")
    x_ax.set(
        xlabel="step",
        ylabel="x (solid), y (dashed)" if with_y else "x",
        ylim=(min(window[0][0], window[1][0]), max(window[0][1], window[1][1])),
    )
    x_ax.axhline(0, color="black", lw=0.6)
    for axes in (f_ax, x_ax):
        axes.grid(True, alpha=0.3)


def view(surface: Surface, descents: list[Descent]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The function's own window (or one around the start and the origin), widened to show the paths,
    but at most MAX_ZOOM_OUT times: a diverging path runs off the picture instead of shrinking it."""
    start = descents[0].rows[0]
    if surface.window is not None:
        base = surface.window
    else:
        half = 1.25 * max(abs(start.x), abs(start.y), 1.0)
        base = ((-half, half), (-half, half))
    limit = _grow(base, MAX_ZOOM_OUT)
    points = np.array([(row.x, row.y) for descent in descents for row in descent.rows])
    inside = np.all(np.isfinite(points), axis=1) & _within(points, limit)
    low = np.minimum([base[0][0], base[1][0]], points[inside].min(axis=0, initial=math.inf))
    high = np.maximum([base[0][1], base[1][1]], points[inside].max(axis=0, initial=-math.inf))
    return _grow(((low[0], high[0]), (low[1], high[1])), 1.05)


def contour_levels(Z: np.ndarray, count: int = 24) -> np.ndarray:
    """Levels at quantiles of f over the picture: as many lines in a flat valley as on a steep wall."""
    values = Z[np.isfinite(Z)]
    return np.unique(np.quantile(values, np.linspace(0, 1, count) ** 1.5))


def visible_part(points: np.ndarray, box) -> np.ndarray:
    """The path up to where it leaves `box` (ending exactly on its edge), so huge or infinite points never reach the plot."""
    low, high = np.array([box[0][0], box[1][0]]), np.array([box[0][1], box[1][1]])
    outside = ~(np.all(np.isfinite(points), axis=1) & _within(points, box))
    if not outside.any():
        return points
    first = int(np.argmax(outside))
    if first == 0 or not np.all(np.isfinite(points[first])):
        return points[: max(first, 1)]
    previous, move = points[first - 1], points[first] - points[first - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(
            move > 0, (high - previous) / move, np.where(move < 0, (low - previous) / move, np.inf)
        )
    return np.vstack([points[:first], previous + reach.min() * move])


def _gradient_arrows(ax, rows, window) -> None:
    """Arrows of -gradient (the direction of steepest descent), all to one scale: the one at the start a
    fifth of the picture wide. Arrows more than twice as long (a diverging path) are left out."""
    gradients = np.array([(row.dfdx, row.dfdy) for row in rows])
    lengths = np.hypot(gradients[:, 0], gradients[:, 1])
    if lengths[0] == 0:
        return  # started at a stationary point: no direction to show
    shown = lengths <= 2 * lengths[0]
    scale = 0.2 * (window[0][1] - window[0][0]) / lengths[0]
    ax.quiver(
        [row.x for row, keep in zip(rows, shown) if keep],
        [row.y for row, keep in zip(rows, shown) if keep],
        -gradients[shown, 0] * scale,
        -gradients[shown, 1] * scale,
        angles="xy",
        scale_units="xy",
        scale=1,
        color="black",
        width=0.005,
        zorder=8,
        clip_on=True,
        label="−gradient (steepest descent, to scale)",
    )


def _grow(box, factor: float):
    (x_low, x_high), (y_low, y_high) = box
    x_mid, y_mid, x_half, y_half = (
        (x_low + x_high) / 2,
        (y_low + y_high) / 2,
        (x_high - x_low) / 2,
        (y_high - y_low) / 2,
    )
    return (
        (x_mid - factor * x_half, x_mid + factor * x_half),
        (y_mid - factor * y_half, y_mid + factor * y_half),
    )


def _within(points: np.ndarray, box) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (
            (points[:, 0] >= box[0][0])
            & (points[:, 0] <= box[0][1])
            & (points[:, 1] >= box[1][0])
            & (points[:, 1] <= box[1][1])
        )
