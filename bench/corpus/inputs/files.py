# Input of the `programs` benchmark (CPython, file-heavy). Written for this benchmark.
# Exercises the WASI filesystem calls a real program makes: it builds a tree of directories
# and small files under the directory given as argv[1], reads them back, lists and stats them,
# appends, seeks, renames, and removes it all; prints counts and a digest of what it read.
import hashlib
import os
import sys

root = os.path.join(sys.argv[1], 'tree')
DIRS, FILES = 20, 60
digest = hashlib.sha256()

for d in range(DIRS):
    sub = os.path.join(root, 'd%02d' % d, 'inner')
    os.makedirs(sub)
    for f in range(FILES):
        with open(os.path.join(sub, 'f%03d.txt' % f), 'w') as fh:
            for line in range(20):
                fh.write('dir %d file %d line %d %s\n' % (d, f, line, 'x' * ((d * f + line) % 50)))

names = []
total = 0
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        path = os.path.join(dirpath, name)
        names.append(os.path.relpath(path, root))
        total += os.stat(path).st_size
        with open(path, 'rb') as fh:
            digest.update(fh.read())

appended = 0
for d in range(DIRS):
    sub = os.path.join(root, 'd%02d' % d, 'inner')
    for f in range(0, FILES, 3):
        path = os.path.join(sub, 'f%03d.txt' % f)
        with open(path, 'r+b') as fh:
            fh.seek(0, os.SEEK_END)
            fh.write(b'appended\n')
            fh.seek(4)
            digest.update(fh.read(16))
        os.rename(path, path + '.bak')
        appended += 1

listed = sum(len(os.listdir(os.path.join(root, 'd%02d' % d, 'inner'))) for d in range(DIRS))
bak = sum(1 for n in os.listdir(os.path.join(root, 'd00', 'inner')) if n.endswith('.bak'))

for dirpath, dirnames, filenames in os.walk(root, topdown=False):
    for name in filenames:
        os.remove(os.path.join(dirpath, name))
    os.rmdir(dirpath)

print('files', len(names), 'bytes', total, 'appended', appended, 'listed', listed, 'bak/dir', bak)
print('first', names[0], 'last', names[-1])
print('sha256', digest.hexdigest())
print('left', os.listdir(sys.argv[1]))
