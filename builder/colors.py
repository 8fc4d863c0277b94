"""Brand colours made safe to read.

A brand's primary colour is used for links, buttons and the header. Whatever the admin picks,
text must keep WCAG AA contrast (4.5:1) in light and dark mode, so the theme derives the colours
it actually paints with here, at build time, instead of trusting the raw value.
"""

from __future__ import annotations

WHITE = "#ffffff"
BLACK = "#000000"
LIGHT_BG = "#f6f7f9"  # the page background of the default theme (--color-bg), darker than cards
DARK_BG = "#161b26"
AA = 4.5


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """`amount` of `other` mixed into `color` (0 = color, 1 = other)."""
    (r1, g1, b1), (r2, g2, b2) = _rgb(color), _rgb(other)
    return _hex((r1 + (r2 - r1) * amount, g1 + (g2 - g1) * amount, b1 + (b2 - b1) * amount))


def readable_on(background: str, color: str, ratio: float = AA) -> str:
    """`color`, moved towards black or white just enough to be readable on `background`."""
    if contrast(color, background) >= ratio:
        return color
    target = BLACK if luminance(background) > 0.5 else WHITE
    for step in range(1, 21):
        candidate = mix(color, target, step / 20)
        if contrast(candidate, background) >= ratio:
            return candidate
    return target


def text_on(background: str) -> str:
    """White or near-black text, whichever reads better on a filled `background`."""
    return WHITE if contrast(WHITE, background) >= contrast("#111827", background) else "#111827"


def brand_variables(primary: str, accent: str) -> str:
    """CSS custom properties for the brand colours, light and dark; used in an inline <style>."""
    # The header and buttons are filled with the primary colour; if white text would not read
    # on it, darken the fill rather than switch to dark text, which looks off-brand.
    fill = readable_on(WHITE, primary, AA)
    light = {
        "--brand-primary": primary,
        "--brand-accent": accent,
        "--color-primary": readable_on(LIGHT_BG, primary),
        "--color-accent": accent,
        "--color-primary-fill": fill,
        "--color-on-primary": text_on(fill),
    }
    dark_link = readable_on(DARK_BG, mix(primary, WHITE, 0.35))
    dark = {
        "--color-primary": dark_link,
        "--color-accent": readable_on(DARK_BG, accent, 3.0),
        "--color-primary-fill": fill,
        "--color-on-primary": text_on(fill),
    }

    def block(selector: str, values: dict[str, str]) -> str:
        body = ";".join(f"{k}:{v}" for k, v in values.items())
        return f"{selector}{{{body}}}"

    return (
        block(":root", light)
        + "@media (prefers-color-scheme:dark){"
        + block(':root:not([data-theme="light"])', dark)
        + "}"
        + block(':root[data-theme="dark"]', dark)
    )
