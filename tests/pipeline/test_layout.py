"""Reading order, running text, tables and headings on hand-built segments."""

from pipeline.layout import (
    Segment,
    find_running_text,
    find_text_tables,
    group_blocks,
    mark_headings,
    order_segments,
)


def seg(text, x0, top, x1=None, size=10.0, bold=False):
    return Segment(text, x0, top, x1 if x1 is not None else x0 + 6 * len(text), top + 11.5, size, bold)


def column(x0, top, texts, width=220):
    return [seg(t, x0, top + 13 * i, x0 + width) for i, t in enumerate(texts)]


def test_two_columns_read_left_column_first():
    left = column(50, 100, [f"L{i}" for i in range(6)])
    right = column(300, 100, [f"R{i}" for i in range(6)])
    order = [s.text for s, _ in order_segments(right + left, gutter=5)]
    assert order == [f"L{i}" for i in range(6)] + [f"R{i}" for i in range(6)]


def test_columns_with_aligned_paragraph_gaps_are_not_interleaved():
    # both columns break paragraphs at the same height: a naive XY-cut reads L1 R1 L2 R2
    left = column(50, 100, ["L1a", "L1b"]) + column(50, 140, ["L2a", "L2b"])
    right = column(300, 100, ["R1a", "R1b"]) + column(300, 140, ["R2a", "R2b"])
    title = [seg("Full width title", 50, 60, 520, size=16)]
    order = [s.text for s, _ in order_segments(left + right + title, gutter=5)]
    assert order == ["Full width title", "L1a", "L1b", "L2a", "L2b", "R1a", "R1b", "R2a", "R2b"]


def test_longer_left_column_tail_stays_in_the_left_column():
    left = column(50, 100, [f"L{i}" for i in range(8)])
    right = column(300, 100, [f"R{i}" for i in range(3)])
    order = [s.text for s, _ in order_segments(left + right, gutter=5)]
    assert order.index("L7") < order.index("R0")


def test_bullets_stay_with_their_items():
    items = []
    for i in range(3):
        items.append(seg("•", 50, 100 + 13 * i, 54))
        items.append(seg(f"item {i}", 62, 100 + 13 * i, 200))
    order = [s.text for s, _ in order_segments(items, gutter=5)]
    assert order == ["•", "item 0", "•", "item 1", "•", "item 2"]
    blocks = group_blocks(order_segments(items, gutter=5), [])
    assert len(blocks) == 1


def test_running_headers_and_page_numbers_are_found_but_body_text_is_not():
    pages = []
    for n in range(1, 6):
        pages.append([
            seg(f"Annual Report 2023 | {n}", 50, 20),
            seg("Body text that changes on every page " + "x" * n, 50, 300),
            seg(str(n + 10), 500, 810),
            seg("Same sentence in the middle", 50, 400),
        ])
    drop = find_running_text(pages, [842.0] * 5)
    reasons = {(p, i): r for (p, i), r in drop.items()}
    assert all(reasons.get((p, 0)) == "header" for p in range(5))
    assert all(reasons.get((p, 2)) == "page_number" for p in range(5))
    assert not any(i in (1, 3) for (_, i) in drop)


def test_text_table_rows_become_readable_lines():
    rows = [("Country", "Suppliers", "Audited"), ("Bangladesh", "18", "18"), ("India", "12", "11"), ("Turkey", "14", "13")]
    segments = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            segments.append(seg(cell, 50 + 120 * c, 100 + 14 * r))
    tables = find_text_tables(segments)
    assert len(tables) == 1
    assert [s.text for s in tables[0].rows] == ["Country | Suppliers | Audited", "Bangladesh | 18 | 18",
                                                 "India | 12 | 11", "Turkey | 14 | 13"]


def test_narrow_text_columns_are_not_mistaken_for_a_table():
    lines = ["towards modern slavery and", "it has a responsibility to", "principles set out in the"]
    segments = []
    for r in range(5):
        for c, text in enumerate(lines):
            segments.append(seg(text, 50 + 170 * c, 100 + 12 * r, 50 + 170 * c + 150))
    assert find_text_tables(segments) == []


def test_larger_short_lines_are_headings():
    ordered = [(seg("Human rights", 50, 80, 200, size=14), 0)] + [(s, 0) for s in column(50, 100, ["body a", "body b"])]
    blocks = group_blocks(ordered, [])
    mark_headings(blocks, body_size=10.0)
    assert [b.kind for b in blocks] == ["heading", "paragraph"]
