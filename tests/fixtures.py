"""Fixture PDFs generated in code: English and Dutch text, two columns, tables, running
headers and footers, an image-only page, encrypted and corrupt files."""

from __future__ import annotations

from pathlib import Path

from pipeline.pdfgen import build_pdf, corrupt_pdf
from pipeline.samples import synthetic_report as company_report  # noqa: F401  (tests build reports with it)

LEFT = [
    "Left column first paragraph. We assess human rights risks at all our suppliers every year, "
    "starting with the countries and sectors where the risks are highest.",
    "Left column second paragraph. Our supplier code of conduct prohibits forced labour and requires "
    "suppliers to pay at least the legal minimum wage.",
    "Left column third paragraph. Buyers are trained on responsible purchasing practices so that "
    "orders do not lead to excessive overtime.",
]
RIGHT = [
    "Right column first paragraph. In 2023 we audited 112 factories in Bangladesh and India, and "
    "corrective action plans were agreed for 31 of them.",
    "Right column second paragraph. Fourteen complaints reached our grievance mechanism, most of them "
    "about wages and working hours.",
    "Right column third paragraph. Eleven complaints were resolved with the suppliers concerned, "
    "and three are still under investigation.",
]

ENGLISH = {
    "title": "Fixture English report",
    "header": "Fixture Company | Annual Report 2023",
    "footer": "Page {page}",
    "pages": [
        {"blocks": [
            {"heading": "Human rights due diligence"},
            {"text": "We are committed to respecting human rights in our supply chain, e.g. by auditing suppliers, "
                     "i.e. checking working conditions on site. See No. 5 in the annex for approx. 40 audit reports. "
                     "Child labour was found at two sites in 2023. Both children were enrolled in school."},
            {"lines": ["Findings are shared with suppliers, and where responsi-",
                       "bility lies upstream we engage the spinning mills directly."]},
        ]},
        {"columns": 2, "blocks": [
            {"heading": "Two columns"},
            *[{"text": t} for t in LEFT],
            {"column_break": True},
            *[{"text": t} for t in RIGHT],
        ]},
        {"blocks": [
            {"heading": "Where we produce"},
            {"text": "The table lists our production countries and the number of suppliers audited in 2023."},
            {"table": {"ruled": True, "rows": [["Country", "Suppliers", "Audited"], ["Bangladesh", "18", "18"],
                                                ["India", "12", "11"], ["Turkey", "14", "13"]]}},
            {"text": "A second table has no ruling lines, as in many annual reports."},
            {"table": {"ruled": False, "rows": [["Region", "Workers", "Women"], ["Asia", "41200", "68%"],
                                                 ["Europe", "3100", "52%"], ["Africa", "870", "47%"]]}},
        ]},
    ],
}

DUTCH = {
    "title": "Fixture Nederlands verslag",
    "header": "Voorbeeld B.V. | Jaarverslag 2023",
    "footer": "Pagina {page}",
    "pages": [
        {"blocks": [
            {"heading": "Gepaste zorgvuldigheid"},
            {"text": "Wij kopen o.a. katoen in bijv. India en Turkije. Zie nr. 5 in de bijlage voor ca. 40 "
                     "auditrapporten. Dit is i.s.m. de SER gedaan t.o.v. vorig jaar. In 2023 hebben wij "
                     "112 fabrieken geaudit."},
            {"text": "Wij verwachten van onze leveranciers dat zij de vrijheid van vakvereniging respecteren."},
        ]},
        {"blocks": [
            {"heading": "Klachten"},
            {"text": "Via de klachtenlijn ontvingen wij veertien klachten. Elf klachten zijn opgelost."},
        ]},
    ],
}

WITH_SCAN = {
    "title": "Fixture with a scanned page",
    "pages": [
        {"blocks": [{"heading": "Text page"}, {"text": "This page has a text layer and speaks about living wages "
                                                       "for garment workers in Bangladesh."}]},
        {"image_only": True},
    ],
}

ONLY_SCAN = {"title": "Fixture scan only", "pages": [{"image_only": True}, {"image_only": True}]}

# Markup and template syntax inside passages that the model takes as evidence: the scorecard must
# show it as text and inject nothing.
HOSTILE_PAYLOAD = '<script>alert(1)</script> "><img src=x onerror=alert(2)> </script> {{ 7*7 }}'
HOSTILE = {
    "title": "<b>Hostile</b> fixture",
    "pages": [{"blocks": [
        {"heading": "<i>Human rights</i>"},
        {"text": "In 2023 our auditors found child labour at two spinning mills in Tamil Nadu "
                 f"{HOSTILE_PAYLOAD}. The 14 children were enrolled in school and the suppliers pay their "
                 "families a living wage until they reach working age."},
        {"text": "Our grievance mechanism received 14 complaints from garment workers in Bangladesh about "
                 f"unpaid overtime {HOSTILE_PAYLOAD}; eleven were resolved with the factories concerned and "
                 "three are under investigation."},
    ]}],
}


def write_all(folder: Path) -> dict[str, Path]:
    """Write every fixture into `folder`; returns name -> path."""
    paths = {}
    for name, spec in (("english", ENGLISH), ("dutch", DUTCH), ("with_scan", WITH_SCAN), ("only_scan", ONLY_SCAN),
                       ("hostile", HOSTILE)):
        paths[name] = folder / f"{name}.pdf"
        build_pdf(spec, paths[name])
    paths["encrypted"] = folder / "encrypted.pdf"
    build_pdf(ENGLISH, paths["encrypted"], user_password="secret")
    paths["owner_only"] = folder / "owner_only.pdf"
    build_pdf(ENGLISH, paths["owner_only"], user_password="", owner_password="owner")
    paths["corrupt"] = folder / "corrupt.pdf"
    paths["corrupt"].write_bytes(corrupt_pdf(paths["english"].read_bytes()))
    paths["not_a_pdf"] = folder / "not_a_pdf.pdf"
    paths["not_a_pdf"].write_text("This is a plain text file with a .pdf name.\n")
    paths["empty"] = folder / "empty.pdf"
    paths["empty"].write_bytes(b"")
    paths["missing"] = folder / "does_not_exist.pdf"
    return paths
