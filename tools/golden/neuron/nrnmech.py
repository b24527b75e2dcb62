"""Compiles Myelin's mechanisms/ directory with NEURON's nrnivmodl.

NEURON already has built-in mechanisms called hh, pas, ExpSyn, Exp2Syn, IClamp, SEClamp and NetStim
and refuses to load a second one of the same name. Our files with those names are therefore
compiled under a prefixed name (hh -> my_hh, ExpSyn -> my_ExpSyn, ...): the build copy differs from
the file in mechanisms/ only in the name on its SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL line, so
the goldens are made with exactly our equations. All other files are copied unchanged.
"""
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MECHANISMS = ROOT / "mechanisms"
BUILD = ROOT / "target" / "golden-neuron"

# Names NEURON defines itself (nrnoc built-ins).
NEURON_BUILTINS = {"hh", "pas", "ExpSyn", "Exp2Syn", "IClamp", "SEClamp", "NetStim"}
PREFIX = "my_"

_NAME_LINE = re.compile(r"^(\s*)(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)(\s+)(\w+)", re.MULTILINE)


def neuron_name(name):
    """The name under which NEURON knows our mechanism `name`."""
    return PREFIX + name if name in NEURON_BUILTINS else name


def _renamed(text):
    def sub(m):
        return m.group(1) + m.group(2) + m.group(3) + neuron_name(m.group(4))

    return _NAME_LINE.sub(sub, text, count=1)


def build(verbose=False):
    """Compiles mechanisms/*.mod (renamed where needed); returns the directory to load.

    The build directory is keyed by a hash of the sources, so an unchanged set is not rebuilt."""
    files = sorted(MECHANISMS.glob("*.mod"))
    if not files:
        raise SystemExit(f"no .mod files in {MECHANISMS}")
    h = hashlib.sha256()
    texts = {}
    for f in files:
        t = f.read_text()
        texts[f.name] = _renamed(t)
        h.update(f.name.encode() + b"\0" + t.encode() + b"\0")
    out = BUILD / h.hexdigest()[:16]
    lib = out / "x86_64" / "libnrnmech.so"
    if not lib.exists():
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for name, t in texts.items():
            (out / name).write_text(t)
        nrnivmodl = shutil.which("nrnivmodl", path=str(Path(__import__("sys").executable).parent))
        if nrnivmodl is None:
            raise SystemExit("nrnivmodl not found next to the Python interpreter (pip install neuron)")
        r = subprocess.run([nrnivmodl, "."], cwd=out, capture_output=not verbose, text=True)
        if r.returncode != 0 or not lib.exists():
            log = (r.stdout or "") + (r.stderr or "")
            shutil.rmtree(out, ignore_errors=True)
            raise SystemExit(f"nrnivmodl failed on mechanisms/:\n{log[-4000:]}")
    return out


def load(directory):
    """Loads the compiled mechanisms into this process's NEURON."""
    import neuron

    if not neuron.load_mechanisms(str(directory)):
        raise SystemExit(f"NEURON could not load the mechanisms compiled in {directory}")
