"""The unified-diff parser the diff view reads: files, hunks and line numbers as git
printed them, agent-written text that looks like diff syntax kept as text, and every limit
counted rather than silently applied."""

from __future__ import annotations

from convergio_tui.engine.diff_parse import parse_unified, unquote_path
from convergio_tui.engine.task_diff import parse_numstat

PATCH = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,4 +1,4 @@ def login():
 def login():
--- a removed line that looks like a header
+++ an added line that looks like a header
     return True
\x20
@@ -10,2 +10,3 @@ class Session:
     a = 1
+    b = 2
     c = 3
\\ No newline at end of file
diff --git a/docs/new page.md b/docs/new page.md
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/docs/new page.md\t
@@ -0,0 +1,2 @@
+# New
+page
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 4444444..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/logo.png differ
diff --git a/old_name.py b/new_name.py
similarity index 92%
rename from old_name.py
rename to new_name.py
index 6666666..7777777 100644
--- a/old_name.py
+++ b/new_name.py
@@ -1 +1 @@
-x = 1
+x = 2
"""


def test_files_statuses_and_counts() -> None:
    files = parse_unified(PATCH)
    summary = [(f.path, f.old_path, f.change, f.binary, f.added, f.removed) for f in files]
    assert summary == [
        ("app.py", None, "modified", False, 2, 1),
        ("docs/new page.md", None, "added", False, 2, 0),
        ("gone.txt", None, "deleted", False, 0, 1),
        ("logo.png", None, "added", True, 0, 0),
        ("new_name.py", "old_name.py", "renamed", False, 1, 1),
    ]
    assert files[4].notes == ("similarity index 92%",)


def test_a_hunk_ends_by_its_counts_not_by_what_a_line_looks_like() -> None:
    app = parse_unified(PATCH)[0]
    first, second = app.hunks
    assert first.header == "@@ -1,4 +1,4 @@ def login():"
    kinds = [(line.kind, line.text) for line in first.lines]
    assert kinds == [
        (" ", "def login():"),
        ("-", "-- a removed line that looks like a header"),
        ("+", "++ an added line that looks like a header"),
        (" ", "    return True"),
        (" ", ""),
    ]
    numbers = [(line.kind, line.old, line.new) for line in second.lines]
    assert numbers == [(" ", 10, 10), ("+", None, 11), (" ", 11, 12),
                       ("\\", None, None)]  # fmt: skip
    assert second.lines[-1].text == "No newline at end of file"


def test_lines_split_only_on_newline() -> None:
    # A form feed, a vertical tab and U+2028 in a file are characters of its line.
    patch = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\x0cb\x0bc\u2028d\n+e\r\n"
    (file,) = parse_unified(patch)
    assert [line.text for line in file.hunks[0].lines] == ["a\x0cb\x0bc\u2028d", "e\r"]


def test_limits_are_counted_per_file_and_in_total() -> None:
    body = "".join(f"+line {i}\n" for i in range(50))
    one = f"diff --git a/{{n}} b/{{n}}\n--- /dev/null\n+++ b/{{n}}\n@@ -0,0 +1,50 @@\n{body}"
    patch = one.format(n="a.txt") + one.format(n="b.txt") + one.format(n="c.txt")
    a, b, c = parse_unified(patch, max_lines_per_file=30, max_total_lines=70)
    assert (a.kept_lines, a.omitted, a.added) == (30, 20, 50)
    assert (b.kept_lines, b.omitted) == (30, 20)
    assert (c.kept_lines, c.omitted, c.added) == (10, 40, 50)


def test_a_cut_patch_keeps_what_it_has() -> None:
    (file,) = parse_unified(PATCH[:200])
    assert file.path == "app.py" and file.hunks and file.hunks[0].lines


def test_quoted_paths() -> None:
    assert unquote_path('"t\\303\\251st\\tx\\"q\\\\"') == 'tést\tx"q\\'
    assert unquote_path("plain name") == "plain name"
    patch = 'diff --git "a/t\\tb" "b/t\\tb"\nnew file mode 100644\nBinary files /dev/null and "b/t\\tb" differ\n'
    (file,) = parse_unified(patch)
    assert (file.path, file.binary) == ("t\tb", True)


def test_numstat_with_a_rename_and_a_binary() -> None:
    text = "3\t1\tapp.py\x00-\t-\tlogo.png\x001\t1\t\x00old name.py\x00new name.py\x00"
    assert parse_numstat(text) == {
        "app.py": (3, 1, False, None),
        "logo.png": (0, 0, True, None),
        "new name.py": (1, 1, False, "old name.py"),
    }
