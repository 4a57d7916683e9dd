"""Renders a terminal capture with colours (`tmux capture-pane -e -p`) to a PNG, as a person
sees it: the README's screenshots and a quick look at a screen during development.

Cells are drawn on a fixed grid with DejaVu Sans Mono; the block glyphs (half blocks, shades,
full block) are drawn as rectangles, so the 48×48 face previews come out pixel-exact whatever
the font does with them. Understands the SGR codes tmux emits: 30–37/90–97/38;5;N/38;2;R;G;B
(and the background forms), bold, dim, reverse, and resets.

Usage: python3 screen-png.py CAPTURE.ansi OUT.png   (needs Pillow: pip install pillow)
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
CELL_W, CELL_H = 9, 18
DEFAULT_FG, DEFAULT_BG = (204, 204, 204), (16, 16, 16)
BASE16 = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205),
          (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234),
          (214, 112, 214), (41, 184, 219), (255, 255, 255)]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[n // 6 % 6], steps[n % 6]
    v = 8 + 10 * (n - 232)
    return v, v, v


def parse(text):
    """Yields rows of (char, fg, bg, bold) cells."""
    rows = []
    fg, bg, bold, dim, reverse = None, None, False, False, False
    for line in text.split("\n"):
        row = []
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, dim, reverse = None, None, False, False, False
                    elif c == 1:
                        bold = True
                    elif c == 2:
                        dim = True
                    elif c == 7:
                        reverse = True
                    elif c == 22:
                        bold = dim = False
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE16[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE16[c - 100 + 8]
                    elif c == 39:
                        fg = None
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            colour = xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            colour = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            colour = None
                        if c == 38:
                            fg = colour
                        else:
                            bg = colour
                    i += 1
                continue
            for ch in token:
                f, b = fg or DEFAULT_FG, bg or DEFAULT_BG
                if dim:
                    f = tuple(int(v * 0.6 + b[k] * 0.4) for k, v in enumerate(f))
                if reverse:
                    f, b = b, f
                row.append((ch, f, b, bold))
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows, out):
    width = max(len(r) for r in rows)
    image = Image.new("RGB", (width * CELL_W, len(rows) * CELL_H), DEFAULT_BG)
    draw = ImageDraw.Draw(image)
    regular, bold_font = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    shades = {"░": 0.25, "▒": 0.5, "▓": 0.75}
    for y, row in enumerate(rows):
        for x, (ch, fg, bg, bold) in enumerate(row):
            x0, y0 = x * CELL_W, y * CELL_H
            box = [x0, y0, x0 + CELL_W - 1, y0 + CELL_H - 1]
            draw.rectangle(box, fill=bg)
            if ch == "▀":
                draw.rectangle([x0, y0, x0 + CELL_W - 1, y0 + CELL_H // 2 - 1], fill=fg)
            elif ch == "▄":
                draw.rectangle([x0, y0 + CELL_H // 2, x0 + CELL_W - 1, y0 + CELL_H - 1], fill=fg)
            elif ch == "█":
                draw.rectangle(box, fill=fg)
            elif ch in shades:
                a = shades[ch]
                draw.rectangle(box, fill=tuple(int(fg[k] * a + bg[k] * (1 - a)) for k in range(3)))
            elif ch != " ":
                draw.text((x0, y0 + 1), ch, fill=fg, font=bold_font if bold else regular)
    image.save(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        render(parse(f.read()), sys.argv[2])
