"""Photos in the signed PDF: the body shows an upright print copy made once (in the sandbox)
and kept in the store; the original is attached byte for byte, without recompression; a photo
that cannot be decoded is said in words and the export still signs."""

import hashlib
import io
import random
from datetime import date

import pikepdf
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from portfolio import sandbox
from portfolio.evidence.services import EvidenceFields, Upload, add_evidence, check_uploads
from portfolio.export import images
from portfolio.export.images import PRINT_SIZE
from portfolio.export.services import export_portfolio, verify_file
from portfolio.units import all_units

TODAY = date.today()
NOTES = b"Customer rang at 10:02, parcel damaged; refund agreed.\n" * 50


def camera_jpeg(width=3000, height=2000, *, orientation=None, seed=1) -> bytes:
    """A photo as a phone saves it: noisy detail (not flat colour), EXIF with an orientation."""
    rnd = random.Random(seed)
    bands = [ImageChops.add(Image.blend(
        Image.linear_gradient("L").rotate(rnd.randrange(360)).resize((width, height)),
        Image.effect_noise((width // 2, height // 2), 40).resize((width, height)), 0.45),
        Image.effect_noise((width, height), 12), offset=-20) for _ in range(3)]
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[images.ORIENTATION] = orientation
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


PHOTO = camera_jpeg(orientation=6)  # stored landscape, shown portrait (turned 90°)


@pytest.fixture
def counted(monkeypatch):
    """Every sandbox task the export runs, by name."""
    calls = []
    real = sandbox.run

    def run(task, *paths, **kw):
        calls.append(task)
        return real(task, *paths, **kw)

    monkeypatch.setattr(images.sandbox, "run", run)
    return calls


@pytest.fixture
def photo_portfolio(app, db, people, portfolios, tmp_path):
    store = app.extensions["evidence_store"]
    own = portfolios["own"]
    broken = camera_jpeg(seed=2)
    for title, files in (("Damaged parcel", [("parcel.jpg", PHOTO)]),
                         ("Call notes", [("notes.txt", NOTES)]),
                         ("Blurred photo", [("broken.jpg", broken[:len(broken) // 3])])):
        checked = check_uploads(store, [Upload(io.BytesIO(b), n) for n, b in files], 10**7)
        add_evidence(own, all_units()["unit-40"],
                     EvidenceFields(title, "product_evidence", TODAY, "", f"About {title}."),
                     checked, actor=people["learner"], store=store, submission_key=None,
                     today=TODAY)
    db.session.commit()
    return own


def export(portfolio, people, db):
    made = export_portfolio(portfolio, actor=people["assessor"], today=TODAY)
    db.session.commit()
    return made.path


def test_the_body_shows_an_upright_print_copy_and_the_original_is_attached_untouched(
        app, db, people, photo_portfolio, counted):
    path = export(photo_portfolio, people, db)
    reader = PdfReader(path)
    shown = [(img.image.width, img.image.height) for page in reader.pages
             for img in page.images]
    assert shown and all(max(size) <= PRINT_SIZE for size in shown), shown
    assert (733, PRINT_SIZE) in shown  # turned upright by its EXIF orientation, then scaled
    attached = reader.attachments["E1-parcel.jpg"][0]
    assert hashlib.sha256(attached).hexdigest() == hashlib.sha256(PHOTO).hexdigest()
    with pikepdf.open(path) as pdf:
        specs = dict(zip(pdf.Root.Names.EmbeddedFiles.Names[::2],
                         pdf.Root.Names.EmbeddedFiles.Names[1::2], strict=True))
        photo = specs["E1-parcel.jpg"]
        stream = photo.EF.F
        assert "/Filter" not in stream  # stored, not recompressed
        assert stream.read_raw_bytes() == PHOTO
        assert stream.Subtype == "/image/jpeg" and stream.Params.Size == len(PHOTO)
        assert bytes(stream.Params.CheckSum) == hashlib.md5(PHOTO).digest()  # noqa: S324
        assert photo.AFRelationship == "/Source" and "SHA-256" in str(photo.Desc)
        assert str(photo.UF) == "E1-parcel.jpg"
        notes = specs["E2-notes.txt"].EF.F
        assert notes.Filter == "/FlateDecode" and notes.read_bytes() == NOTES
        assert {s.objgen for s in pdf.Root.AF} == {s.objgen for s in specs.values()}
        names = [str(n) for n in pdf.Root.Names.EmbeddedFiles.Names[::2]]
        assert names == sorted(names)
    result, _, current = verify_file(path.read_bytes())
    assert result.ok and result.covers_whole_file and current


def test_the_print_copy_is_kept_in_the_store_and_reused(app, db, people, photo_portfolio,
                                                        counted):
    store = app.extensions["evidence_store"]
    sha = next(f.sha256 for e in photo_portfolio.evidence for f in e.files
               if f.filename == "parcel.jpg")
    assert store.print_copy(sha, PRINT_SIZE) is None
    export(photo_portfolio, people, db)
    assert counted.count("image") == 2  # the photo, and the broken one (which fails)
    copy = store.print_copy(sha, PRINT_SIZE)
    with Image.open(copy) as img:
        assert img.size == (733, PRINT_SIZE) and img.format == "JPEG"
        assert not img.getexif() and "comment" not in img.info  # no metadata in the body
    counted.clear()
    second = export(photo_portfolio, people, db)
    assert counted == ["image"]  # only the broken photo is tried again; the copy is reused
    assert verify_file(second.read_bytes())[0].ok


def test_a_photo_that_cannot_be_decoded_is_said_in_words_and_still_attached(
        app, db, people, photo_portfolio, counted):
    path = export(photo_portfolio, people, db)
    reader = PdfReader(path)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "“broken.jpg” could not be rendered: its picture data is damaged or incomplete" \
        in text, text[:2000]
    assert "the original is attached to this PDF" in text
    assert "E3-broken.jpg" in reader.attachments
    assert verify_file(path.read_bytes())[0].ok


def test_a_small_upright_image_is_shown_as_it_is_and_transparency_goes_on_white(tmp_path):
    small = tmp_path / "small.png"
    Image.new("RGB", (400, 300), "navy").save(small)
    assert images._fits(small)
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (2400, 1200), (255, 0, 0, 0)).save(clear)
    assert not images._fits(clear)
    out = tmp_path / "clear.jpg"
    answer = sandbox.run("image", clear, out, extra=(str(PRINT_SIZE),))
    assert (answer["width"], answer["height"]) == (PRINT_SIZE, 550)
    with Image.open(out) as img:
        assert img.format == "JPEG" and img.getpixel((10, 10)) >= (250, 250, 250)
