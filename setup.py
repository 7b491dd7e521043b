"""Build hook: the wheel carries the browser assets the pages load (no CDN, ever).

`auction_app/static/vendor/` is not in git; bin/install copies it from
node_modules. A build from a clean clone copies it here the same way, so the
wheel (and the image built from it) always has them. Without node_modules a
wheel build stops with the command to run; an editable install (bin/install,
which copies the assets after `npm ci`) goes on without them.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (source under node_modules, file name under auction_app/static/vendor)
VENDORED = [("socket.io-client/dist/socket.io.min.js", "socket.io.min.js")]


class BuildWithVendoredAssets(build_py):
    def run(self):
        vendor = ROOT / "auction_app" / "static" / "vendor"
        vendor.mkdir(parents=True, exist_ok=True)
        for source, name in VENDORED:
            src = ROOT / "node_modules" / source
            if src.is_file():
                shutil.copyfile(src, vendor / name)
            elif not (vendor / name).is_file():
                if getattr(self, "editable_mode", False):
                    # `pip install -e .` (bin/install) runs before `npm ci`; it copies the file itself.
                    continue
                raise SystemExit(f"{src} is missing: run `npm ci` (or bin/install) before building the package")
        super().run()


setup(cmdclass={"build_py": BuildWithVendoredAssets})
