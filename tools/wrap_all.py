"""Re-wrap the `__all__` list nbdev_export writes into each module so that no line passes 120 characters.

nbdev (2.x) wraps the list at 120 characters and then puts `__all__ = ` in front of the first line, so that line can
reach 130. `make export` and `make sync-check` run this right after `nbdev_export`: the result is deterministic, and
nbdev reads the `# %% auto #0` cell back from nothing but the notebooks, so the two stay in sync.
Run: python tools/wrap_all.py [PACKAGE_DIR]   (default: fireside_lab)
"""
import ast
import re
import sys
from pathlib import Path
from textwrap import TextWrapper

BLOCK = re.compile(r"^__all__ = \[.*?\]$", re.S | re.M)
WRAP = TextWrapper(width=120, initial_indent="__all__ = ", subsequent_indent=" " * 11, break_long_words=False,
                   break_on_hyphens=False)


def rewrap(text: str) -> str:
    "`text` with its `__all__ = [...]` block wrapped at 120 characters (the names and their order unchanged)."
    def one(m: re.Match) -> str:
        names = ast.literal_eval(m.group(0).split("=", 1)[1].strip())
        return "\n".join(WRAP.wrap(repr(names)))
    return BLOCK.sub(one, text, count=1)


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "fireside_lab")
    for path in sorted(root.rglob("*.py")):
        if path.name == "_modidx.py": continue
        text = path.read_text(encoding="utf-8")
        new = rewrap(text)
        if new != text: path.write_text(new, encoding="utf-8")
