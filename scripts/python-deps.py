#!/usr/bin/env python3
"""The Debian Python packages the repository's scripts need, checked by importing the names they use.

A bare `import onnx` is not proof: Debian's libonnx-testdata installs a plain `onnx/` folder into
dist-packages, which Python imports as an empty namespace package, so `import onnx` succeeds while
`from onnx import TensorProto` fails. Each probe below therefore imports the very names the scripts use.

  /usr/bin/python3 scripts/python-deps.py              prints the missing packages of NEEDED, one a line
  /usr/bin/python3 scripts/python-deps.py --audit F... prints every import in the Python files F that no
                                                       probe covers (a module, or a name taken from it)
Exit status 0 either way unless the arguments are wrong; the caller reads the output.
"""
import ast
import sys

# Debian package -> (top-level module, names the scripts import from it). NEEDED is what `make demo` and
# `make test` run (scripts/setup.sh installs them); BY_HAND is for fixture generators a developer reruns.
NEEDED = {
    "python3-numpy": ("numpy", ()),
    "python3-onnx": ("onnx", ("TensorProto", "helper", "numpy_helper")),
    "python3-pil": ("PIL", ("Image", "ImageOps")),
    "python3-torch": ("torch", ()),
    "python3-torchvision": ("torchvision", ()),
}
BY_HAND = {
    "python3-opencv": ("cv2", ()),
    "python3-faiss": ("faiss", ()),
}


def probe(module, names):
    """True when the module and every name taken from it import (a namespace folder fails here)."""
    try:
        mod = __import__(module)
        if getattr(mod, "__file__", None) is None:
            return False  # a bare namespace folder, not the package
        for name in names:
            if not hasattr(mod, name):
                __import__(f"{module}.{name}")
        return True
    except Exception:
        return False


def imports_of(path):
    """(top-level module, names imported from it) for every absolute import in the file."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            names = tuple(a.name for a in node.names) if "." not in node.module else ()
            yield top, names


def audit(paths):
    covered = {m: set(n) for m, n in {**NEEDED, **BY_HAND}.values()}
    local = {p.rsplit("/", 1)[-1][:-3] for p in paths}  # the scripts import each other
    for path in paths:
        for top, names in imports_of(path):
            if top in sys.stdlib_module_names or top in local:
                continue
            if top not in covered:
                print(f"{path}: module {top} has no probe in scripts/python-deps.py")
                continue
            for name in names:
                if name not in covered[top]:
                    print(f"{path}: 'from {top} import {name}' is not in the {top} probe of scripts/python-deps.py")


def main(argv):
    if argv[:1] == ["--audit"]:
        audit(argv[1:])
        return 0
    if argv:
        print("usage: python-deps.py [--audit FILE...]", file=sys.stderr)
        return 2
    for package, (module, names) in NEEDED.items():
        if not probe(module, names):
            print(package)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
