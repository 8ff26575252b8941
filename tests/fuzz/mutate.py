#!/usr/bin/env python3
"""Mutation fuzzing of phasepinn's two text readers, for a bounded time.

    python3 tests/fuzz/mutate.py BUILD_DIR [--iterations N] [--seed S]

BUILD_DIR should be a sanitizer build
(meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false).
Mutates the shipped experiment files and feeds them to `phasepinn check`,
and mutates SNR curves for `phasepinn phases`.  Any exit code other than 0
or 2, or any sanitizer report, is a finding: the input is saved as
fuzz-finding-<n>.<ext> in the current directory, to become a regression test
under tests/data/fuzz/.  Exit status 1 when something was found.
"""
import argparse
import glob
import os
import random
import subprocess
import sys

TOKENS = ['[', ']', '{', '}', ':', '-', '\n', '  ', '"', "'", '&a', '*a', '!!', '1e999',
          '-5', 'nan', 'inf', '\t', '\x00', '#', '|', '>', ',', ',,,,', '1e-400', 'abc']


def mutate(text, rng):
    s = list(text)
    for _ in range(rng.randint(1, 10)):
        if not s:
            break
        p = rng.randrange(len(s))
        op = rng.random()
        if op < 0.3:
            del s[p:p + rng.randint(1, 40)]
        elif op < 0.6:
            s[p:p] = rng.choice(TOKENS)
        else:
            s[p] = chr(rng.randrange(1, 128))
    return ''.join(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build')
    ap.add_argument('--iterations', type=int, default=500)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    exe = os.path.join(args.build, 'phasepinn')
    yamls = [open(f).read() for f in sorted(glob.glob(os.path.join(root, 'configs', '**', '*.yaml'),
                                                       recursive=True))
             if 'compare:' not in open(f).read()]
    curve = 'iteration,mu,sigma\n' + ''.join(
        '%d,%g,1\n' % (s, 5 if s < 1500 else 0.01 if s < 6000 else 3) for s in range(0, 8000, 10))
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=1', UBSAN_OPTIONS='halt_on_error=1')
    rng = random.Random(args.seed)
    found = 0
    for i in range(args.iterations):
        csv = i % 3 == 2
        text = mutate(curve if csv else rng.choice(yamls), rng)
        path = '/tmp/phasepinn-fuzz.' + ('csv' if csv else 'yaml')
        with open(path, 'w') as f:
            f.write(text)
        r = subprocess.run([exe, 'phases' if csv else 'check', path], capture_output=True,
                           env=env, timeout=120)
        if r.returncode not in (0, 2) or b'Sanitizer' in r.stderr or b'runtime error' in r.stderr:
            found += 1
            out = 'fuzz-finding-%d.%s' % (found, 'csv' if csv else 'yaml')
            with open(out, 'w') as f:
                f.write(text)
            print('finding: exit %d, saved %s\n%s' % (r.returncode, out,
                                                      r.stderr[-600:].decode(errors='replace')))
    print('%d inputs, %d findings' % (args.iterations, found))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
