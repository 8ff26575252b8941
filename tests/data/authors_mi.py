#!/usr/bin/python3
"""The information measures as the phase-transition paper's authors compute
them (utils/mi.py in soanagno/diffusion-equilibrium), re-implemented
independently with numpy for tests/unit/test_information.c.

Input (argv[1]): "layers L", then per layer a line "N WIDTH" followed by N
rows of WIDTH activations.  Output: one line per layer, "H sat", where H is
the entropy in bits of the rows' bin vectors and sat the share of points in
a neuron's first or last interval, averaged over the neurons (the authors
print it in percent; here it is a fraction).  Exit 77 without numpy.
"""
import sys

try:
    import numpy as np
except ImportError:
    print("numpy missing")
    sys.exit(77)

EPS = 1e-6
BINS = 30


def read_layers(path):
    with open(path) as f:
        words = f.read().split()
    assert words[0] == "layers"
    count, pos, layers = int(words[1]), 2, []
    for _ in range(count):
        n, width = int(words[pos]), int(words[pos + 1])
        pos += 2
        values = np.array([float(w) for w in words[pos:pos + n * width]])
        layers.append(values.reshape(n, width))
        pos += n * width
    return layers


def measure(act):
    n, width = act.shape
    lo, hi = act.min(axis=0), act.max(axis=0)
    span = np.abs(lo - hi - EPS)          # max - min + eps
    w = span.sum() / width / BINS
    edges_per_neuron = (span / w).astype(int) + 1
    symbols = np.zeros((n, width))
    sat = 0.0
    for v in range(width):
        count = edges_per_neuron[v]
        edges = np.linspace(lo[v], hi[v] + EPS, num=count)
        k = np.digitize(act[:, v], bins=edges)
        symbols[:, v] = k
        # the first interval is bin 1, the last bin count - 1 (the same one
        # when there is a single interval: counted twice, as the authors do)
        sat += (np.count_nonzero(k == count - 1) + np.count_nonzero(k == 1)) / n
    _, counts = np.unique(symbols, axis=0, return_counts=True)
    p = counts / counts.sum()
    return -np.sum(p * np.log2(p)), sat / width


def main():
    for act in read_layers(sys.argv[1]):
        H, sat = measure(act)
        print("%.17g %.17g" % (H, sat))


if __name__ == "__main__":
    main()
