"""Build the documentation site (mkdocs-material) from the project: `make docs`, or
`python tools/build_docs.py [--no-execute] [--out DIR] [--only GLOB]`.

What goes in, assembled under `docs-src/` in a fresh folder of `build/` (git-ignored; removed after, so that builds
at once, such as two tests', do not collide) with a generated `mkdocs.yml` beside it that inherits the theme and
plugins of the project's `mkdocs.yml`:
- the home page: README.md (its `docs/` links made relative);
- `docs/architecture.md` and the screenshots;
- the settings table (`config.settings_table()`, every registered section) and the HTTP API page (the OpenAPI
  document rendered by `web.api.docs_html`, with `openapi.json` beside it);
- every `nbs/` chapter, executed in its own throw-away data dir with execnb (as `nbdev_test` runs them) so the site
  shows its outputs (`--no-execute`: as stored, without outputs), and the pipeline notebooks as they are;
- an API reference page per module, from the docstrings (mkdocstrings, static analysis: nothing is imported).
The site has mkdocs-material's own search (lunr, in the page: it works offline).
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def execute(args: tuple[str, str]) -> tuple[str, str | None]:
    "Run one notebook (src) and write it with its outputs to dest; (src, error or None). Its own data dir and cwd."
    src, dest = args
    os.environ["FIRESIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="fireside-docs-")
    try:
        from execnb.nbio import read_nb, write_nb
        from execnb.shell import CaptureShell
        nb = read_nb(src)
        os.chdir(Path(src).parent)
        shell = CaptureShell()
        shell.run_all(nb, exc_stop=True)
        write_nb(nb, dest)
        return src, None
    except Exception as e:             # the chapter is shown without outputs, and the build says so
        shutil.copy(src, dest)
        return src, f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        shutil.rmtree(os.environ["FIRESIDE_DATA_DIR"], ignore_errors=True)


def title_of(nb_path: Path) -> str:
    "A chapter's title: its first Markdown heading (`# markets.live`), else the file name."
    import json
    for cell in json.loads(nb_path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.match(r"#\s+(.+)", "".join(cell["source"]).strip())
            if m: return m.group(1).strip()
    return nb_path.stem


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-execute", action="store_true", help="render the chapters as stored (no outputs); fast")
    ap.add_argument("--out", default=str(ROOT / "site"), help="where the site goes (default: site/)")
    ap.add_argument("--only", default="*", help="only chapters whose path under nbs/ matches this glob")
    ap.add_argument("--jobs", type=int, default=2, help="chapters executed at once (default 2)")
    args = ap.parse_args(argv)
    (ROOT / "build").mkdir(exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="docs-", dir=ROOT / "build"))     # this build's own
    try:
        return _build(args, build)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _build(args: argparse.Namespace, build: Path) -> int:
    "Assemble the pages under `build`/docs-src, write `build`/mkdocs.yml and run mkdocs; the exit status."
    src = build / "docs-src"
    src.mkdir()

    readme = (ROOT / "README.md").read_text()
    (src / "index.md").write_text(readme.replace("(docs/screenshots/", "(screenshots/").replace("](docs/", "]("))
    shutil.copytree(ROOT / "docs" / "screenshots", src / "screenshots")
    shutil.copy(ROOT / "docs" / "architecture.md", src / "architecture.md")

    import json
    from fireside_lab import config
    import fireside_lab.app  # noqa: F401  (every line's settings section registered)
    from fireside_lab.web import api, server
    server.load_routes()
    (src / "settings.md").write_text("# Settings\n\nEach setting is an environment variable (or the same key, lower "
                                     "case, in the TOML file `FIRESIDE_CONFIG` names).\n\n"
                                     + config.settings_table() + "\n")
    doc = api.openapi()
    (src / "openapi.json").write_text(json.dumps(doc, indent=1))
    body = re.sub(r"(?s)^.*?<body>|</body>.*$", "", api.docs_html(doc))
    body = body.replace(f"href='{api.PREFIX}/openapi.json'", "href='../openapi.json'")
    (src / "http-api.md").write_text("# HTTP API\n\nThe OpenAPI document of `/api/v1`, as the server serves it at "
                                     "`/api/v1/docs`: [openapi.json](openapi.json).\n\n" + body + "\n")

    chapters = sorted(p for p in (ROOT / "nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                      and fnmatch.fnmatch(str(p.relative_to(ROOT / "nbs")), args.only))
    jobs = []
    for p in chapters:
        dest = src / "chapters" / p.relative_to(ROOT / "nbs")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if args.no_execute: shutil.copy(p, dest)
        else: jobs.append((str(p), str(dest)))
    failed = []
    if jobs:
        import multiprocessing as mp
        # a fresh process per chapter (as `make nbtest` runs them): a chapter declares tables and settings of its own
        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn"), max_tasks_per_child=1) as pool:
            for path, err in pool.map(execute, jobs):
                print(("FAIL " if err else "ok   ") + str(Path(path).relative_to(ROOT)) + (f": {err}" if err else ""))
                if err: failed.append(path)
    (src / "pipelines").mkdir()
    for p in sorted((ROOT / "pipelines").glob("*.ipynb")): shutil.copy(p, src / "pipelines" / p.name)

    import pkgutil
    import fireside_lab
    modules = sorted(m.name for m in pkgutil.walk_packages(fireside_lab.__path__, "fireside_lab.")
                     if ".migrations" not in m.name and not m.name.endswith("._modidx"))
    (src / "reference").mkdir()
    for m in modules: (src / "reference" / f"{m}.md").write_text(f"# `{m}`\n\n::: {m}\n")

    def nav_chapters():
        by_folder: dict = {}
        for p in chapters:
            rel = p.relative_to(ROOT / "nbs")
            folder = rel.parts[0] if len(rel.parts) > 1 else "basics"
            by_folder.setdefault(folder, []).append({title_of(p): f"chapters/{rel.as_posix()}"})
        return [{k: v} for k, v in by_folder.items()]
    nav = [{"Home": "index.md"}, {"Architecture": "architecture.md"}, {"Settings": "settings.md"},
           {"HTTP API": "http-api.md"}, {"Chapters": nav_chapters()},
           {"Pipelines": [{p.stem: f"pipelines/{p.name}"} for p in sorted((src / "pipelines").glob("*.ipynb"))]},
           {"API reference": [{m.removeprefix("fireside_lab."): f"reference/{m}.md"} for m in modules]}]
    import yaml
    (build / "mkdocs.yml").write_text(yaml.safe_dump({"INHERIT": str(ROOT / "mkdocs.yml"), "docs_dir": "docs-src",
                                                      "site_dir": str(Path(args.out).resolve()), "nav": nav},
                                                     sort_keys=False, allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(build / "mkdocs.yml")], cwd=build)
    if r.returncode: return r.returncode
    print(f"site: {Path(args.out).resolve()} ({len(chapters)} chapters, {len(modules)} modules"
          + (f"; {len(failed)} chapters without outputs: their execution failed" if failed else "") + ")")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
