"""``icpwatch licenses load`` on scans: PDFs and images beside text documents, one line per
file, a bad scan or a missing OCR tool failing alone, and how each document was read stored."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import SEED_LICENCES

PIL = pytest.importorskip("PIL.Image", reason="Pillow reads the scans")

INSTALL = "apt-get install tesseract-ocr tesseract-ocr-chi-sim poppler-utils"
SEED = SEED_LICENCES / "000_ec3a6ef2340836b9.txt"


def run(db: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["--db", str(db), *args], env=env)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _tesseract_ready() -> str | None:
    """Why OCR cannot run here, or None."""
    from crawler.licences.ocr import tesseract_version
    from crawler.licences.scan import ScanToolMissing

    try:
        tesseract_version()
    except ScanToolMissing as exc:
        return str(exc)
    return None


needs_ocr = pytest.mark.skipif(
    bool(_tesseract_ready()) or not shutil.which("pdftotext"),
    reason=f"needs Tesseract with chi_sim and poppler ({INSTALL})",
)


def tiny_png() -> bytes:
    buf = io.BytesIO()
    PIL.new("L", (40, 20), 255).save(buf, "PNG")
    return buf.getvalue()


def test_missing_tools_fail_each_scan_with_the_packages_and_text_still_loads(
    db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "a.txt")
    (folder / "b.png").write_bytes(tiny_png())
    (folder / "c.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    result = run(db_path, "licenses", "load", str(folder), env={"PATH": str(empty_path)})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("new ") and "a.txt: 京B2-20252223" in lines[0]
    assert lines[1] == (
        f"FAILED     {folder / 'b.png'}: tesseract not found (Debian package tesseract-ocr): "
        + INSTALL
    )
    assert lines[2] == (
        f"FAILED     {folder / 'c.pdf'}: pdfinfo not found (Debian package poppler-utils): "
        + INSTALL
    )
    assert rows(db_path, "select license_no from licenses") == [("京B2-20252223",)]


def test_tesseract_without_the_chinese_model_names_its_package(
    db_path: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tesseract"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1" in --version) echo "tesseract 5.3.0";; '
        '--list-langs) echo "List of available languages (2):"; echo eng; echo osd;; esac\n'
    )
    fake.chmod(0o755)
    (tmp_path / "b.png").write_bytes(tiny_png())
    result = run(db_path, "licenses", "load", str(tmp_path / "b.png"), env={"PATH": str(bin_dir)})
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "Tesseract has no Simplified Chinese model (chi_sim; Debian package "
        f"tesseract-ocr-chi-sim): {INSTALL}"
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("corrupt.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "damaged image"),
        ("text.png", b"just text", "not an image"),
        ("bomb.png", None, "too large to decode safely"),
        ("empty.pdf", b"%PDF-1.4\n%%EOF\n", "pdfinfo failed"),
    ],
)
def test_a_bad_scan_fails_alone(
    db_path: Path, tmp_path: Path, name: str, data: bytes | None, reason: str
) -> None:
    if data is None:
        from tests.unit.test_ocr_image import bomb_png

        data = bomb_png(100_000, 100_000)
    if name.endswith(".pdf") and not shutil.which("pdfinfo"):
        pytest.skip("needs poppler-utils")
    (tmp_path / name).write_bytes(data)
    result = run(db_path, "licenses", "load", str(tmp_path / name), str(SEED))
    assert result.exit_code == 1
    failed, loaded = result.output.splitlines()
    assert failed.startswith(f"FAILED     {tmp_path / name}: ") and reason in failed
    assert loaded.startswith("new ")


def test_scan_over_the_size_limit_is_refused_unread(db_path: Path, tmp_path: Path) -> None:
    big = tmp_path / "huge.tif"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)
    result = run(db_path, "licenses", "load", str(big))
    assert result.exit_code == 1
    assert "over the 50 MiB limit" in result.output


@needs_ocr
def test_a_folder_of_scans_loads_with_how_each_was_read(db_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="fpdf2 writes the text-layer PDF")
    from tests.fakes.scan_maker import FONT, VARIANTS, make_scan, spec_by_key

    if not FONT.exists():
        pytest.skip(f"no CJK font to draw scans with: {FONT}")
    folder = tmp_path / "scans"
    png = make_scan(spec_by_key("seed000"), VARIANTS["png-300"], folder)
    pdf = make_scan(spec_by_key("seed001"), VARIANTS["text-pdf"], folder)
    (folder / "notes.jpg").write_bytes(b"\xff\xd8\xff broken")
    result = run(db_path, "licenses", "load", str(folder))
    assert result.exit_code == 1, result.output
    lines = {line.split(": ")[0].split()[-1]: line for line in result.output.splitlines()}
    assert re.search(
        r"京B2-20252223 北京踏行天际科技发展有限公司, 1 domain\(s\); read by "
        r"rapidocr 3\.\S+ PP-OCRv\d+; second reading tesseract 5",
        lines[str(png)],
    )
    assert "chi_sim, 1 page, confidence " in lines[str(png)]
    assert "苏B2-20200928" in lines[str(pdf)] and "read by pdftotext " in lines[str(pdf)]
    assert lines[str(folder / "notes.jpg")].startswith("FAILED")
    docs = rows(
        db_path,
        "select license_no, engine, engine_version like '% chi_sim', pages, "
        "ocr_confidence > 50 from license_documents order by license_no",
    )
    assert docs == [
        ("京B2-20252223", "ppocr", 1, 1, 1),
        ("苏B2-20200928", "pdftotext", 0, 2, None),
    ]
    assert rows(db_path, "select content_sha256 from licenses where license_no like '京%'") == [
        (hashlib.sha256(png.read_bytes()).hexdigest(),)
    ]
    shown = run(db_path, "licenses", "show", "京B2-20252223")
    assert f"source       {png} (rapidocr 3." in shown.output
    # the same scan again changes nothing
    again = run(db_path, "licenses", "load", str(png))
    assert again.exit_code == 0 and again.output.startswith("unchanged")
