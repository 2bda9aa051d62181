"""Scan images made ready for Tesseract with Pillow: opened within pixel and page limits,
turned upright by the camera's EXIF tag, made grey with the red stamp faded out, contrast
stretched, scaled to about 300 dpi, straightened when photographed at a slant, and the ruled
lines of tables taken out."""

from __future__ import annotations

import io
import warnings

from PIL import (
    Image,
    ImageChops,
    ImageFilter,
    ImageOps,
    ImageSequence,
    UnidentifiedImageError,
)

from crawler.licences.pdf_text import MAX_PAGES, RASTER_LONG_SIDE
from crawler.licences.scan_tools import UnreadableScan

#: A 48-megapixel phone photo passes; a decompression bomb (a tiny PNG claiming 100 000²
#: pixels) is refused before Pillow allocates it.
MAX_PIXELS = 64_000_000
#: Pages whose long side is shorter are scaled up (Tesseract loses small CJK strokes below
#: ~20 px per character); longer ones are scaled down to it, which also bounds the OCR time.
TARGET_LONG_SIDE = RASTER_LONG_SIDE
_MAX_UPSCALE = 3.0
#: Slants tried when straightening, in degrees: a hand-held photo is rarely further off.
_SKEW_RANGE = 6.0
_SKEW_STEP = 0.5
#: Grey (0-255) under which a pixel is ink, and the mean of ink over a long stretch under which
#: it is a ruled line, not text (80 % ink).
_INK = 160
_RULE_DARK = 50


def open_pages(data: bytes) -> list[Image.Image]:
    """Every page (TIFF frame) of an image file, loaded, or :class:`UnreadableScan`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_PAGES:
                raise UnreadableScan(
                    f"{frames} pages, over the {MAX_PAGES}-page limit for a licence"
                )
            pages = []
            for frame in ImageSequence.Iterator(image):
                width, height = frame.size
                if width * height > MAX_PIXELS:
                    raise UnreadableScan(
                        f"{width}x{height} pixels, over the {MAX_PIXELS // 10**6}-megapixel "
                        "limit for a scan"
                    )
                frame.load()
                pages.append(ImageOps.exif_transpose(frame.copy()))
        except UnreadableScan:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UnreadableScan(f"image too large to decode safely ({exc})") from exc
        except UnidentifiedImageError as exc:
            raise UnreadableScan("not an image (corrupt, or a format Pillow cannot read)") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise UnreadableScan(f"damaged image: {exc}") from exc
    return pages


def grey(image: Image.Image) -> Image.Image:
    """One channel for OCR. For colour scans the red channel: a red seal (the bureau's stamp
    over the text) is bright there and fades, while black print stays black."""
    if image.mode in ("1", "L", "I", "I;16", "F"):
        return image.convert("L")
    rgb = image.convert("RGB")
    return rgb.getchannel("R")


def scaled(image: Image.Image) -> Image.Image:
    """Long side at :data:`TARGET_LONG_SIDE` (up at most ``_MAX_UPSCALE`` times)."""
    long_side = max(image.size)
    factor = min(TARGET_LONG_SIDE / long_side, _MAX_UPSCALE)
    if abs(factor - 1) < 0.1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _row_contrast(image: Image.Image) -> float:
    """How sharply ink rows and blank rows alternate: largest when text lines are level."""
    rows = image.resize((1, image.height), Image.Resampling.BOX).tobytes()
    mean = sum(rows) / len(rows)
    return sum((r - mean) ** 2 for r in rows) / len(rows)


def skew_angle(image: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that levels the text lines, by the row
    projection of a small black-and-white copy: cheap, and enough for photos a few degrees off."""
    small = image.copy()
    small.thumbnail((800, 800))
    ink = small.point(lambda v: 255 if v < 128 else 0)
    best, best_score = 0.0, _row_contrast(ink)
    steps = int(_SKEW_RANGE / _SKEW_STEP)
    for i in range(-steps, steps + 1):
        angle = i * _SKEW_STEP
        if angle == 0:
            continue
        score = _row_contrast(ink.rotate(angle, resample=Image.Resampling.BILINEAR))
        if score > best_score * 1.02:
            best, best_score = angle, score
    return best


def sideways(image: Image.Image) -> bool:
    """Whether the text lines run up or down the page (a page scanned turned 90°): ink then
    alternates along columns more sharply than along rows. One OCR pass saved on such pages."""
    small = image.copy()
    small.thumbnail((800, 800))
    ink = small.point(lambda v: 255 if v < 128 else 0)
    return _row_contrast(ink.transpose(Image.Transpose.ROTATE_90)) > 2 * _row_contrast(ink)


def _rules_along(page: Image.Image, block: int, vertical: bool) -> Image.Image:
    """Mask of the ruled lines running down (``vertical``) or across the page: the page
    averaged in blocks along that direction, on two grids half a block apart so a rule's ends
    are covered too, widened two pixels each side for anti-aliased edges."""
    width, height = page.size
    mask = Image.new("L", page.size, 0)
    for shift in (0, block // 2):
        blocks = ((height if vertical else width) - shift) // block
        if blocks < 1:
            continue
        end = shift + blocks * block  # whole blocks, so each averages exactly ``block`` pixels
        box = (0, shift, width, end) if vertical else (shift, 0, end, height)
        part = page.crop(box)
        size = (width, blocks) if vertical else (blocks, height)
        dark = part.resize(size, Image.Resampling.BOX).point(lambda v: 255 if v < _RULE_DARK else 0)
        full = dark.resize(part.size, Image.Resampling.NEAREST)
        grown = full
        for step in (-2, -1, 1, 2):
            offset = (step, 0) if vertical else (0, step)
            grown = ImageChops.lighter(grown, ImageChops.offset(full, *offset))
        mask.paste(ImageChops.lighter(mask.crop(box), grown), box[:2])
    return mask


def without_rules(page: Image.Image) -> Image.Image:
    """The page with the ruled lines of a table whitened: Tesseract drops whole cells next to
    them (measured: a ruled certificate lost its 公司名称, 法定代表人 and 有效期至 rows; none
    without). A rule is ink that stays dark averaged over an eighth of the page along its
    length (440 px at 300 dpi); only ten or more characters whose strokes line up exactly are
    that dark, and they would lose that one stroke."""
    block = max(8, max(page.size) // 8)
    ink = page.point(lambda v: 0 if v < _INK else 255)  # a blurred rule is grey, not black
    mask = ImageChops.lighter(
        _rules_along(ink, block, vertical=True), _rules_along(ink, block, vertical=False)
    )
    if not mask.getbbox():
        return page
    return Image.composite(Image.new("L", page.size, 255), page, mask)


def even_light(page: Image.Image) -> Image.Image:
    """The paper made evenly white: a photo's light falls off across the page, and one global
    threshold then loses the text in the dark part. The paper's own brightness (the page
    shrunk, its ink taken out by a max filter, smoothed) is subtracted from each pixel."""
    small = page.resize((max(1, page.width // 8), max(1, page.height // 8)), Image.Resampling.BOX)
    paper = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(4))
    ink = ImageChops.subtract(paper.resize(page.size, Image.Resampling.BILINEAR), page)
    return ImageOps.invert(ink)


def prepare(image: Image.Image) -> Image.Image:
    """The page as Tesseract reads it best: grey, stretched, ~300 dpi, level, no table rules."""
    page = ImageOps.autocontrast(even_light(grey(image)), cutoff=1)
    page = scaled(page)
    angle = skew_angle(page)
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return without_rules(page)
