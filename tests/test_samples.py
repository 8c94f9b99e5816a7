"""The bundled sample PDF is exactly what its YAML spec generates."""

from pipeline.pdfgen import build_pdf
from pipeline.samples import SAMPLES, sample_specs


def test_committed_sample_pdfs_match_their_specs():
    specs = sample_specs()
    assert specs
    for name, spec in specs.items():
        assert (SAMPLES / f"{name}.pdf").read_bytes() == build_pdf(spec), (
            f"{name}.pdf is stale: run `.venv/bin/python -m pipeline.samples build`")
