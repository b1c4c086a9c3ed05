"""Each command's help ends with an `exit:` line; its codes and their meanings must agree with
the command's row in docs/exit-codes.md (every command, the list taken from `tars help
--markdown`, which is generated from the same tables as the parser)."""

import os
import re
import subprocess
import unittest

TARS = os.environ.get("TARS_BIN", "tars")
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs",
                   "exit-codes.md")

# Words too common to show that two texts say the same thing.
STOP = {"and", "the", "or", "of", "a", "an", "to", "in", "on", "is", "are", "be", "was", "its",
        "it", "with", "without", "when", "not", "no", "any", "all", "that", "this", "for", "by",
        "as", "at", "from", "could", "can", "e.g", "tars", "every", "each", "one", "some",
        "else", "also", "only", "more", "than"}


def run(args):
    p = subprocess.run([TARS] + args, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("tars %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def commands():
    """Every command and subcommand, as `tars help --markdown` heads them ("load merge")."""
    return re.findall(r"^## tars (.+)$", run(["help", "--markdown"]), re.M)


def help_exits(command):
    """The `exit:` paragraph of `tars COMMAND --help`, joined into one line."""
    text = run(command.split() + ["--help"])
    m = re.search(r"^exit: (.*?)(?:\n\n|\Z)", text, re.M | re.S)
    if not m:
        raise AssertionError("tars %s --help has no exit: line:\n%s" % (command, text))
    return " ".join(line.strip() for line in m.group(1).splitlines())


def split_codes(text):
    """"0 ok, 1 failed, 2 x, y or z, 3 bad usage" -> {0: "ok", 1: "failed", ...}: a code is a
    digit 0-3 at the start or after ", " or "; ", followed by a word."""
    parts = re.split(r"(?:^|[,;] )([0-3]) (?=[^\d\s])", text)
    if parts[0].strip():
        raise AssertionError("%r does not start with a code" % text)
    out = {}
    for code, meaning in zip(parts[1::2], parts[2::2]):
        if int(code) in out:
            raise AssertionError("code %s twice in %r" % (code, text))
        out[int(code)] = meaning.strip(" ,;")
    return out


def doc_rows():
    """docs/exit-codes.md's per-command tables: command -> {code: meaning} (empty cells and
    "—" mean the command never exits with that code)."""
    rows = {}
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if len(cells) != 5 or not cells[0].startswith("`tars "):
                continue
            name = re.match(r"`tars ([a-z-]+(?: [a-z]+)?)", cells[0]).group(1)
            rows[name] = {code: cells[1 + code] for code in range(4)
                          if cells[1 + code] not in ("", "—", "-")}
    return rows


def words(text):
    """The significant words of text, cut to their first five letters (a crude stem)."""
    return {w[:5] for w in re.findall(r"[a-z0-9][a-z0-9/-]*", text.lower())
            if w not in STOP and len(w) > 2}


def doc_row_for(rows, command):
    """The row of command: its own ("load merge"), or a row that starts with it ("user add" for
    user, "help [CMD]" for help)."""
    if command in rows:
        return rows[command]
    found = [name for name in rows if name.split()[0] == command]
    return rows[found[0]] if len(found) == 1 else None


class ExitHelp(unittest.TestCase):
    maxDiff = None

    def test_split_codes(self):
        self.assertEqual(split_codes("0 ok, 1 a, b or c, 2 x (y, z); 3 bad usage"),
                         {0: "ok", 1: "a, b or c", 2: "x (y, z)", 3: "bad usage"})
        self.assertEqual(split_codes("0 a 0 with b, 3 c"), {0: "a 0 with b", 3: "c"})

    def test_every_command_agrees_with_the_doc(self):
        rows = doc_rows()
        names = commands()
        self.assertGreater(len(names), 10, names)
        checked = []
        for command in names:
            with self.subTest(command=command):
                text = help_exits(command)
                m = re.match(r"as tars ([a-z-]+)$", text)
                if m:  # "as tars load": the other command's codes, which must then agree too
                    text = help_exits(m.group(1))
                ours = split_codes(text)
                row = doc_row_for(rows, command)
                self.assertIsNotNone(row, "docs/exit-codes.md has no row for tars %s" % command)
                self.assertEqual(sorted(ours), sorted(row),
                                 "tars %s: codes in its help %s, in docs/exit-codes.md %s\n"
                                 "help: %s\ndoc: %s" % (command, sorted(ours), sorted(row), ours, row))
                for code, meaning in ours.items():
                    shared = words(meaning) & words(row[code])
                    self.assertTrue(shared, "tars %s, exit %d: the help says %r, the doc %r: "
                                    "not one word in common" % (command, code, meaning, row[code]))
                # the meanings of the codes are the project's (0 ok ... 3 bad usage)
                if 3 in ours:
                    self.assertRegex(ours[3], r"usage|bad|unknown|unexpected|no or", command)
                checked.append(command)
        print("checked %d commands: %s" % (len(checked), ", ".join(checked)))


if __name__ == "__main__":
    unittest.main()
