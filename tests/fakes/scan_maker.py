"""Test scans: a licence printed as the paper certificate, then scanned or photographed badly.

Licence scans from users cannot be shipped, so the tests make their own: the four seed
licences (tests/data/licences) and three layouts of fictional companies are laid out as an A4
certificate (title, 经营许可证编号, the fields, the 附页 website listings, the 特别规定事项
clauses) and drawn with Noto Sans CJK into images (PNG, JPEG, TIFF, image-only PDF) at 150 or
300 dpi, or into a PDF with a real text layer (fpdf2: pure Python, embeds the CFF-outline CJK
font as a subset, which reportlab's TrueType-only embedding cannot). Then the damage real scans
have, deterministic by seed: a small tilt, a page turned 90°, blur, JPEG noise, a red seal over
part of the text, a phone photo's perspective and uneven light.

``twin_text`` is the same certificate as a text document: what a perfect reader would get.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from crawler.licences.parser import Licence, parse_licence

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_INDEX = 2  # the collection's Simplified Chinese face, NotoSansCJKSC
#: The Song (宋体) face real certificates are printed in: a second typeface for the OCR to meet.
SERIF_FONT = FONT.with_name("NotoSerifCJK-Regular.ttc")
PAGE_MM = (210.0, 297.0)
MARGIN = 20.0
BODY = 11.0  # pt
STEP = 6.4  # mm between body lines
TITLE = "中华人民共和国增值电信业务经营许可证"
PREAMBLE = (
    "根据《中华人民共和国电信条例》及国家有关规定，经审查，准许你公司按照本经营许可证"
    "（正文和附件）载明的内容经营增值电信业务，特颁发增值电信业务经营许可证。"
)
SERVICE_NOTE = "【依法须经批准的项目，经相关部门批准后方可开展相应经营活动】"
CLAUSES = (
    "一、你公司应当按照《中华人民共和国电信条例》、《互联网信息服务管理办法》等法律法规要求，"
    "严格执行电信网码号资源、业务资费、市场管理、服务质量等行业管理规定。",
    "二、你公司应当按照许可的业务种类和业务覆盖范围，依法开展业务经营活动，不得经营或变相经营"
    "未经许可的其他电信业务。你公司应当在公司主要经营场所、网站主页、业务宣传手册等显著位置"
    "标明经营许可证编号。",
    "三、你公司在未取得国内通信设施服务业务经营许可时，不得投资建设电信传输网络设施。",
    "四、你公司应当按照《电信服务规范》等相关电信服务管理要求向用户提供服务，建立健全服务管理"
    "制度，配备用户投诉受理人员，妥善化解服务纠纷，维护用户合法权益。",
    "五、你公司应当在每年第一季度参加电信主管部门组织的经营许可证年报。",
    "六、你公司应按照国家法律法规要求，为有关部门提供技术接口和解密等技术支持和协助。",
)


# --- what is printed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """One website listing of the 附页; one listing may name several domains."""

    name: str | None
    domains: tuple[str, ...]
    server_location: str | None
    access_provider: str | None
    services: tuple[str, ...]  # catalogue codes it is listed under


@dataclass(frozen=True)
class Spec:
    """A licence as printed on its certificate, and the layout it is printed in."""

    key: str
    layout: str  # "certificate" | "table" | "columns" | "two_column"
    number: str
    company: str
    legal_rep: str
    issued: str  # as printed
    expires: str
    services: tuple[tuple[str, str, str | None], ...]  # (name, code, scope)
    sites: tuple[Site, ...]
    address: str | None = None  # 注册住所, on the newer certificates
    coverage: str | None = None  # 业务覆盖范围


def _printed_date(parsed, raw: str | None) -> str:
    """A real certificate prints 2022年03月16日; a date the seed's OCR lost keeps its raw text."""
    return f"{parsed.year}年{parsed.month:02d}月{parsed.day:02d}日" if parsed else raw or ""


def spec_from_licence(key: str, lic: Licence) -> Spec:
    """The certificate a parsed licence was read from (the seeds' own OCR damage left out)."""
    sites: dict[tuple, list[str]] = {}
    for w in lic.websites:
        sites.setdefault((w.site_name, w.server_location, w.access_provider, w.services), [])
        sites[(w.site_name, w.server_location, w.access_provider, w.services)].append(w.host)
    return Spec(
        key=key,
        layout="certificate",
        number=lic.license_no,
        company=lic.company or "",
        legal_rep=lic.legal_rep or "",
        issued=_printed_date(lic.issued_on, lic.issued_raw),
        expires=_printed_date(lic.expires_on, lic.expires_raw),
        services=tuple((s.name, s.code or "", s.scope) for s in lic.services),
        sites=tuple(Site(k[0], tuple(v), k[1], k[2], k[3]) for k, v in sites.items()),
    )


SEED_DIR = Path(__file__).resolve().parents[1] / "data" / "licences"

OWN = (
    Spec(
        key="table_qinghe",
        layout="table",
        number="浙B2-20240517",
        company="杭州青禾数据服务有限公司",
        legal_rep="沈嘉禾",
        issued="2024年05月20日",
        expires="2029年05月19日",
        services=(
            ("在线数据处理与交易处理业务", "B21", "仅限经营类电子商务"),
            ("信息服务业务", "B25", "仅限互联网信息服务"),
        ),
        sites=(
            Site(
                "青禾数据",
                ("qinghe-data.cn", "www.qinghedata.com.cn"),
                "浙江省杭州市",
                "阿里云计算有限公司",
                ("B21", "B25"),
            ),
        ),
        address="浙江省杭州市西湖区文三路88号5层501室",
        coverage="浙江省",
    ),
    Spec(
        key="columns_nanling",
        layout="columns",
        number="粤B2-20231188",
        company="广州南岭云网络科技有限公司",
        legal_rep="欧阳明远",
        issued="2023年11月08日",
        expires="2028年11月07日",
        services=(("信息服务业务", "B25", "仅限互联网信息服务"),),
        sites=(
            Site(
                "南岭云",
                ("nanlingyun.com",),
                "广东省广州市天河区",
                "中国电信股份有限公司广州分公司",
                ("B25",),
            ),
        ),
        address="广州市天河区天河北路233号1608房",
        coverage="广东省",
    ),
    Spec(
        key="twocol_qiwu",
        layout="two_column",
        number="沪B2-20220903",
        company="上海栖梧文化传播有限公司",
        legal_rep="顾晓岚",
        issued="2022年09月03日",
        expires="2027年09月02日",
        services=(("信息服务业务", "B25", "仅限互联网信息服务"),),
        sites=(
            Site(
                "栖梧文化",
                ("qiwu-culture.com.cn",),
                "上海市",
                "上海腾讯云计算有限公司",
                ("B25",),
            ),
        ),
        address="上海市徐汇区漕溪北路18号12楼",
        coverage="上海市",
    ),
)


@cache
def specs() -> tuple[Spec, ...]:
    """The four seed licences in the certificate layout, then the three layouts of our own."""
    seeds = tuple(
        spec_from_licence(f"seed{p.name[:3]}", parse_licence(p.read_bytes()))
        for p in sorted(SEED_DIR.glob("*.txt"))
    )
    return seeds + OWN


def _service_line(name: str, scope: str | None) -> str:
    return f"{name}({scope})" if scope else name


def _listings(spec: Spec) -> Iterator[tuple[str, str, str | None, Site]]:
    """(service name, code, scope, site) per listing under each service of the 附页."""
    for name, code, scope in spec.services:
        for site in spec.sites:
            if code in site.services:
                yield name, code, scope, site


def _site_fields(site: Site, domain_label: str = "网站域名") -> list[tuple[str, str]]:
    return [
        ("网站名称", site.name or ""),
        (domain_label, "、".join(site.domains)),
        ("服务器放置地", site.server_location or ""),
        ("网站接入服务提供单位", site.access_provider or ""),
    ]


def twin_text(spec: Spec) -> str:
    """The certificate as a text document, the way the seed documents print it."""
    out = [TITLE, f"经营许可证编号：{spec.number}", PREAMBLE]
    out += [f"公司名称：{spec.company}", f"法定代表人：{spec.legal_rep}"]
    out += ["业务种类(服务项目)及覆盖范围："]
    out += [_service_line(n, s) for n, _, s in spec.services]
    out += [f"发证日期：{spec.issued}", f"有效期至：{spec.expires}", f"{TITLE}(附页)"]
    for name, _, scope, site in _listings(spec):
        out.append(f"{spec.company}获准经营{_service_line(name, scope)}相关信息")
        out += [f"{label}：{value}" for label, value in _site_fields(site)]
    out += [f"经营许可证编号：{spec.number}", "特别规定事项", *CLAUSES]
    return "\n\n".join(out) + "\n"


# --- layout: pages of positioned text ------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float  # mm from the left; the centre when ``centre``
    y: float  # mm from the top to the baseline
    size: float  # pt
    text: str
    centre: bool = False


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    items: list[Text | Rule] = field(default_factory=list)
    seal: tuple[float, float] | None = None  # where the issuer's seal goes (mm)


@cache
def _font(px: int, serif: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(SERIF_FONT if serif else FONT), px, index=FONT_INDEX)


def width_mm(text: str, size: float) -> float:
    return _font(200).getlength(text) / 200 * size * 25.4 / 72


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if line and width_mm(line + ch, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


class _Writer:
    """Lays lines down a page from the top, as a certificate's body runs."""

    def __init__(self) -> None:
        self.page = Page()
        self.y = 30.0

    def line(self, text: str, size: float = BODY, x: float = MARGIN, step: float = STEP) -> None:
        for part in _wrap(text, size, PAGE_MM[0] - MARGIN - x):
            self.page.items.append(Text(x, self.y, size, part))
            self.y += step * size / BODY

    def centre(self, text: str, size: float, step: float) -> None:
        self.page.items.append(Text(PAGE_MM[0] / 2, self.y, size, text, centre=True))
        self.y += step

    def pair(self, label: str, value: str, value_x: float | None = None) -> None:
        if value_x is None:
            self.line(f"{label}：{value}")
            return
        self.page.items.append(Text(MARGIN, self.y, BODY, label))
        self.line(value, x=value_x)

    def rule(self) -> None:
        self.page.items.append(Rule(MARGIN, self.y - 3, PAGE_MM[0] - MARGIN, self.y - 3))
        self.y += 3


def _head(w: _Writer, spec: Spec) -> None:
    w.centre(TITLE, 17, 12)
    w.centre(f"经营许可证编号：{spec.number}", 12, 10)
    w.line(PREAMBLE, size=10)
    w.y += 2


def _services_block(w: _Writer, spec: Spec, x: float) -> None:
    for name, _, scope in spec.services:
        w.line(_service_line(name, scope), x=x)
    w.line(SERVICE_NOTE, size=9.5, x=x)


def _attachment(w: _Writer, spec: Spec, domain_label: str = "网站域名") -> None:
    w.rule()
    w.centre(f"{TITLE}(附页)", 12.5, 9)
    for name, _, scope, site in _listings(spec):
        w.line(f"{spec.company}获准经营{_service_line(name, scope)}相关信息", size=10.5)
        for label, value in _site_fields(site, domain_label):
            w.pair(label, value)
        w.y += 1.5


def _provisions(w: _Writer, spec: Spec, clauses: tuple[str, ...]) -> None:
    w.page.items.append(Text(PAGE_MM[0] - MARGIN - 62, w.y, 9, f"经营许可证编号：{spec.number}"))
    w.y += 7
    w.centre("特别规定事项", 12.5, 8)
    for clause in clauses:
        w.line(clause, size=9.5, step=5.6)


def _certificate(spec: Spec) -> Page:
    """The seeds' layout: 标签：值 lines, the services beside a three-line label."""
    w = _Writer()
    _head(w, spec)
    w.pair("公司名称", spec.company)
    w.pair("法定代表人", spec.legal_rep)
    top = w.y
    for label in ("业务种类", "(服务项目)", "及覆盖范围："):
        w.line(label)
    w.y = top
    _services_block(w, spec, x=52)
    w.y = max(w.y, top + 3 * STEP) + 2
    w.pair("发证机关(盖章)", "")
    w.page.seal = (80, w.y - 2)
    w.pair("发证日期", spec.issued)
    w.pair("有效期至", spec.expires)
    _attachment(w, spec)
    _provisions(w, spec, CLAUSES[:2])
    return w.page


def _table(spec: Spec) -> Page:
    """A ruled table of spaced labels (公 司 名 称) and values; the 附页 says 网址."""
    w = _Writer()
    _head(w, spec)
    rows = [
        ("公 司 名 称", spec.company),
        ("法定代表人", spec.legal_rep),
        ("注 册 住 所", spec.address or ""),
        ("业 务 种 类", "；".join(_service_line(n, s) for n, _, s in spec.services)),
        ("业务覆盖范围", spec.coverage or ""),
        ("发 证 日 期", spec.issued),
        ("有 效 期 至", spec.expires),
    ]
    left, split, right = MARGIN, MARGIN + 36, PAGE_MM[0] - MARGIN
    w.y += 2
    top = w.y - 6
    for label, value in rows:
        row_top = w.y - 6
        w.page.items.append(Text(left + 3, w.y, BODY, label))
        w.line(value, x=split + 3, step=8.5)
        w.page.items.append(Rule(left, row_top, right, row_top))
        if label.startswith("发"):
            w.page.seal = (105, w.y - 6)
    w.page.items += [
        Rule(left, w.y - 6, right, w.y - 6),
        *(Rule(x, top, x, w.y - 6) for x in (left, split, right)),
    ]
    w.y += 4
    _attachment(w, spec, domain_label="网址")
    _provisions(w, spec, CLAUSES[:2])
    return w.page


def _columns(spec: Spec) -> Page:
    """Labels without colons in a left column, the values far to their right."""
    w = _Writer()
    _head(w, spec)
    value_x = 75
    w.pair("公司名称", spec.company, value_x)
    w.pair("法定代表人", spec.legal_rep, value_x)
    w.pair("注册住所", spec.address or "", value_x)
    top = w.y
    w.line("业务种类(服务项目)")
    w.y = top
    _services_block(w, spec, x=value_x)
    w.pair("业务覆盖范围", spec.coverage or "", value_x)
    w.pair("发证日期", spec.issued, value_x)
    w.page.seal = (125, w.y - 3)
    w.pair("有效期至", spec.expires, value_x)
    _attachment(w, spec)
    _provisions(w, spec, CLAUSES[:2])
    return w.page


def _two_column(spec: Spec) -> Page:
    """The fields in two columns side by side: company, representative and address at the left,
    dates and coverage at the right."""
    w = _Writer()
    _head(w, spec)
    top = w.y
    for label, value in (
        ("公司名称", spec.company),
        ("法定代表人", spec.legal_rep),
        ("注册住所", spec.address or ""),
    ):
        for part in _wrap(f"{label}：{value}", BODY, 92):
            w.page.items.append(Text(MARGIN, w.y, BODY, part))
            w.y += STEP
    left_end, w.y = w.y, top
    for label, value in (
        ("发证日期", spec.issued),
        ("有效期至", spec.expires),
        ("业务覆盖范围", spec.coverage or ""),
    ):
        w.page.items.append(Text(122, w.y, BODY, f"{label}：{value}"))
        w.y += STEP
    w.page.seal = (175, top)
    w.y = max(left_end, w.y) + 2
    w.line("业务种类(服务项目)：")
    _services_block(w, spec, x=MARGIN + 8)
    _attachment(w, spec)
    _provisions(w, spec, CLAUSES[:2])
    return w.page


def _continuation(spec: Spec) -> Page:
    """Page 2 of a multi-page scan: more 特别规定事项 under the number, as certificates run on."""
    w = _Writer()
    _provisions(w, spec, CLAUSES[2:])
    return w.page


LAYOUTS = {
    "certificate": _certificate,
    "table": _table,
    "columns": _columns,
    "two_column": _two_column,
}


def pages(spec: Spec, count: int = 1) -> list[Page]:
    first = LAYOUTS[spec.layout](spec)
    return [first, _continuation(spec)][:count]


# --- drawing ---------------------------------------------------------------------------------


def draw(page: Page, dpi: int, serif: bool = False) -> Image.Image:
    """The page as a grey image at ``dpi``, black on white, in the sans or the serif face."""
    px = dpi / 25.4
    img = Image.new("L", (round(PAGE_MM[0] * px), round(PAGE_MM[1] * px)), 255)
    pen = ImageDraw.Draw(img)
    for item in page.items:
        if isinstance(item, Rule):
            pen.line(
                [(item.x0 * px, item.y0 * px), (item.x1 * px, item.y1 * px)],
                fill=0,
                width=max(1, round(dpi / 150)),
            )
            continue
        font = _font(round(item.size * dpi / 72), serif)
        x = item.x - width_mm(item.text, item.size) / 2 if item.centre else item.x
        pen.text((x * px, item.y * px), item.text, font=font, fill=0, anchor="ls")
    return img


def text_pdf(pages_: list[Page]) -> bytes:
    """The pages as a born-digital PDF: real text in the embedded CJK font, as the bureau's
    system issues them."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("noto", fname=str(FONT), collection_font_number=FONT_INDEX)
    for page in pages_:
        pdf.add_page()
        for item in page.items:
            if isinstance(item, Rule):
                pdf.line(item.x0, item.y0, item.x1, item.y1)
                continue
            pdf.set_font("noto", size=item.size)
            x = item.x - pdf.get_string_width(item.text) / 2 if item.centre else item.x
            pdf.text(x, item.y, item.text)
    return bytes(pdf.output())


# --- damage ----------------------------------------------------------------------------------


def _tilt(img: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(1.0, 4.0)
    return img.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _turn(img: Image.Image, rng: random.Random) -> Image.Image:
    """A page scanned sideways: Tesseract's OSD has to find the text's orientation."""
    return img.transpose(rng.choice((Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)))


def _blur(img: Image.Image, rng: random.Random) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(img.width / 2480 * rng.uniform(1.6, 2.2)))


def _noise(img: Image.Image, rng: random.Random, amount: int = 70) -> Image.Image:
    """Zero-mean speckle (Pillow's own effect_noise cannot be seeded)."""
    size = img.width * img.height
    lighter = Image.frombytes("L", img.size, rng.randbytes(size)).point(lambda v: v * amount // 510)
    darker = Image.frombytes("L", img.size, rng.randbytes(size)).point(lambda v: v * amount // 510)
    return ImageChops.subtract(ImageChops.add(img.convert("L"), lighter), darker)


def _seal(img: Image.Image, rng: random.Random, centre_px: tuple[float, float]) -> Image.Image:
    """The issuer's red seal, translucent over the dates as it is stamped on the certificate."""
    rgb = img.convert("RGB")
    r = img.width * rng.uniform(0.09, 0.11)
    cx, cy = centre_px[0] + rng.uniform(-r / 4, r / 4), centre_px[1] + rng.uniform(-r / 5, r / 5)
    overlay = Image.new("RGBA", rgb.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    red = (205, 30, 35)
    pen.ellipse(
        (cx - r, cy - r, cx + r, cy + r), fill=(*red, 70), outline=(*red, 190), width=round(r / 12)
    )
    star = r * 0.28
    pen.regular_polygon((cx, cy, star), 5, fill=(*red, 170))
    font = _font(round(r * 0.22))
    pen.text((cx, cy + r * 0.62), "许可证专用章", font=font, fill=(*red, 170), anchor="mm")
    return Image.alpha_composite(rgb.convert("RGBA"), overlay).convert("RGB")


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]):
    """The 8 coefficients Image.transform(PERSPECTIVE) wants, mapping output ``dst`` points
    back to input ``src`` points (solved by Gaussian elimination: no numpy in the test deps)."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                f = rows[r][col] / rows[col][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def _photo(img: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the paper: seen at an angle, lit from one side, slightly soft."""
    w, h = img.size

    def jitter(x: float, y: float) -> tuple[float, float]:
        return x + rng.uniform(-0.04, 0.04) * w, y + rng.uniform(-0.03, 0.03) * h

    pad_x, pad_y = 0.05 * w, 0.04 * h
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [jitter(pad_x, pad_y), jitter(w - pad_x, pad_y), jitter(w - pad_x, h - pad_y)]
    dst.append(jitter(pad_x, h - pad_y))
    coeffs = _perspective_coeffs(corners, dst)
    paper = img.convert("RGB").transform(
        img.size,
        Image.Transform.PERSPECTIVE,
        coeffs,
        Image.Resampling.BICUBIC,
        fillcolor=(70, 62, 55),  # the desk under the paper
    )
    # A gradient twice the size, turned and cut from the middle: no unlit corners.
    light = Image.linear_gradient("L").resize((512, 512)).rotate(rng.uniform(0, 360))
    light = light.crop((128, 128, 384, 384)).resize(img.size)
    low = rng.randint(140, 175)
    light = light.point(lambda v: low + v * (255 - low) // 255).convert("RGB")
    tint = Image.new("RGB", img.size, (255, 246, 228))
    lit = ImageChops.multiply(ImageChops.multiply(paper, light), tint)
    return lit.filter(ImageFilter.GaussianBlur(img.width / 2480 * 1.1))


# --- variants --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    suffix: str  # ".png", ".jpg", ".tif", ".pdf"; "text.pdf" for the text-layer PDF
    dpi: int = 300
    damage: tuple[str, ...] = ()
    pages: int = 1
    quality: int = 92  # JPEG
    serif: bool = False  # printed in Noto Serif CJK (宋体) instead of Noto Sans

    @property
    def clean(self) -> bool:
        return not self.damage and self.dpi >= 300


VARIANTS = {
    v.name: v
    for v in (
        Variant("text-pdf", "text.pdf", pages=2),
        Variant("png-300", ".png"),
        Variant("jpeg-300", ".jpg"),
        Variant("tiff-300", ".tif", pages=2),
        Variant("pdf-300", ".pdf", pages=2),
        Variant("png-150", ".png", dpi=150),
        Variant("pdf-150", ".pdf", dpi=150),
        Variant("tilt", ".png", damage=("tilt",)),
        Variant("turned", ".png", damage=("turn",)),
        Variant("blur", ".png", damage=("blur",)),
        Variant("jpeg-noise", ".jpg", damage=("noise",), quality=15),
        Variant("seal", ".png", damage=("seal",)),
        Variant("photo", ".jpg", damage=("photo",), quality=75),
        Variant("photo-150", ".jpg", dpi=150, damage=("photo", "tilt"), quality=70),
        Variant("serif-300", ".png", serif=True),
        Variant("serif-photo", ".jpg", damage=("photo",), quality=75, serif=True),
    )
}
_DAMAGE = {"tilt": _tilt, "turn": _turn, "blur": _blur, "noise": _noise, "photo": _photo}


def _damaged(page: Page, img: Image.Image, variant: Variant, rng: random.Random) -> Image.Image:
    for kind in variant.damage:
        if kind == "seal":
            if page.seal:
                px = variant.dpi / 25.4
                img = _seal(img, rng, (page.seal[0] * px, page.seal[1] * px))
        else:
            img = _DAMAGE[kind](img, rng)
    return img


def make_scan(spec: Spec, variant: Variant, out_dir: Path) -> Path:
    """Writes ``spec`` as ``variant`` into ``out_dir`` (same inputs, same bytes) and returns
    the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".pdf" if variant.suffix == "text.pdf" else variant.suffix
    path = out_dir / f"{spec.key}.{variant.name}{suffix}"
    page_list = pages(spec, variant.pages)
    if variant.suffix == "text.pdf":
        path.write_bytes(text_pdf(page_list))
        return path
    rng = random.Random(zlib.crc32(f"{spec.key}/{variant.name}".encode()))
    images = [_damaged(p, draw(p, variant.dpi, variant.serif), variant, rng) for p in page_list]
    dpi = (variant.dpi, variant.dpi)
    buf = io.BytesIO()
    if suffix == ".jpg":
        images[0].save(buf, "JPEG", quality=variant.quality, dpi=dpi)
    elif suffix == ".png":
        images[0].save(buf, "PNG", dpi=dpi, optimize=False)
    elif suffix == ".tif":
        images[0].save(
            buf, "TIFF", dpi=dpi, compression="tiff_lzw", save_all=True, append_images=images[1:]
        )
    else:
        images[0].save(buf, "PDF", resolution=variant.dpi, save_all=True, append_images=images[1:])
    path.write_bytes(buf.getvalue())
    return path


def spec_by_key(key: str) -> Spec:
    return next(s for s in specs() if s.key == key)
