# Input of the `programs` benchmark (CPython, pure-Python compute). Written for this benchmark.
# Interpreter-bound work of several kinds (recursion and backtracking, dicts and strings,
# floats, regular expressions, JSON, sorting); prints only results, which are deterministic
# (the benchmark runs it with PYTHONHASHSEED=0).
import json
import re
from collections import Counter


def queens(n):
    count = 0
    cols, d1, d2 = set(), set(), set()

    def place(row):
        nonlocal count
        if row == n:
            count += 1
            return
        for c in range(n):
            if c in cols or row + c in d1 or row - c in d2:
                continue
            cols.add(c); d1.add(row + c); d2.add(row - c)
            place(row + 1)
            cols.remove(c); d1.remove(row + c); d2.remove(row - c)

    place(0)
    return count


def mandelbrot(w, h, limit=50):
    inside = 0
    for y in range(h):
        ci = 2.0 * y / h - 1.0
        for x in range(w):
            cr = 3.0 * x / w - 2.0
            zr = zi = 0.0
            for _ in range(limit):
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                if zr * zr + zi * zi > 4.0:
                    break
            else:
                inside += 1
    return inside


def text(n):
    words = ['enclave', 'keep', 'attest', 'seal', 'wasm', 'host', 'guest', 'measure', 'quote', 'nonce']
    state = 12345
    out = []
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7fffffff
        out.append(words[state % len(words)] + str(state % 13))
    return ' '.join(out)


def words_and_regex(s):
    counts = Counter(s.split())
    pairs = re.findall(r'\b(keep|seal)(\d+)\b', s)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5], len(pairs)


def json_round_trip(n):
    doc = [{'id': i, 'name': 'item%d' % i, 'tags': ['t%d' % (i % 7), 't%d' % (i % 11)], 'v': i * 0.5} for i in range(n)]
    for _ in range(5):
        doc = json.loads(json.dumps(doc, sort_keys=True))
    return sum(d['v'] for d in doc), len(json.dumps(doc))


def sorting(n):
    state = 7
    xs = []
    for _ in range(n):
        state = (state * 48271) % 0x7fffffff
        xs.append((state % 1000, str(state)))
    xs.sort(key=lambda t: (t[0], t[1][::-1]))
    return xs[0], xs[-1], xs[n // 2]


print('queens(8) =', queens(8))
print('mandelbrot =', mandelbrot(120, 60))
print('words =', words_and_regex(text(60000)))
print('json =', json_round_trip(3000))
print('sorting =', sorting(60000))
