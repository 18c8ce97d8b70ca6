#!/usr/bin/env python3
"""Names match the folders: every namespace a native/ source opens is ganzoo::<its folder>, or
nested in it, and every family member's class is its registered name with the hyphens dropped
and each part capitalised (dcgan -> Dcgan, improved-dcgan -> ImprovedDcgan, wgan-gp -> Wgan).

    layout.py NATIVE_DIR        exit 0, or one line per mismatch and exit 1
"""
import pathlib
import re
import sys

OPEN = re.compile(r'^\s*namespace\s+([A-Za-z_][\w:]*)\s*\{', re.M)
# native/exporter is ganzoo::exporter (`export` is a C++ keyword, so the folder says exporter too).


def main(native):
    problems = []
    for path in sorted(native.rglob('*')):
        if path.suffix not in ('.cpp', '.hpp') or not path.is_file():
            continue
        folder = path.relative_to(native).parts[0]
        if path.parent == native:  # no sources at native/'s top
            problems.append(f'{path}: a source outside the folders')
            continue
        text = path.read_text(encoding='utf-8')
        want = f'ganzoo::{folder}'
        opened = OPEN.findall(text)
        top = [n for n in opened if n.startswith('ganzoo')]
        if not top and not re.search(r"^int main\(", text, re.M):  # main() lives at global scope
            problems.append(f'{path}: opens no namespace {want}')
        for name in top:
            if name != want and not name.startswith(want + '::'):
                problems.append(f'{path}: namespace {name}, its folder says {want}')
    # A member's class: the registration names the class it makes.
    for path in sorted((native / 'models').glob('*.cpp')):
        text = path.read_text(encoding='utf-8')
        for name, cls in re.findall(r'GANZOO_REGISTER_FAMILY\(\s*\w+\s*,\s*\{\s*"([\w-]+)".*?make_unique<(\w+)>',
                                    text, re.S):
            base = name[:-3] if name.endswith('-gp') else name  # WGAN-GP is WGAN's class with its recipe
            want = ''.join(part.capitalize() for part in base.split('-'))
            if cls != want:
                problems.append(f'{path}: member {name} is class {cls}, its name says {want}')
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    if len(sys.argv) != 2 or not pathlib.Path(sys.argv[1]).is_dir():
        print('usage: layout.py NATIVE_DIR', file=sys.stderr)
        sys.exit(2)
    sys.exit(main(pathlib.Path(sys.argv[1])))
