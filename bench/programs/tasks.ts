/**
 * The tasks of the `programs` benchmark: one real job for each program of the corpus, each
 * about 0.5–5 s under node:wasi. Every run gets a fresh work folder, mounted at /work, holding
 * the task's inputs (written for this benchmark, in bench/corpus/inputs/); the program's data
 * folders from the corpus are mounted where it expects them (no task writes to them).
 */

/** A rewrite applied to stdout and stderr before the two runtimes' outputs are compared. */
export interface Normalization {
  /** What it hides, for the row's note. */
  readonly what: string;
  readonly apply: (text: string) => string;
}

export interface Task {
  /** The row's name; BENCH_PROGRAMS selects by it or by the program's name. */
  readonly name: string;
  /** The corpus program (bench/corpus/fetch.mjs) that runs it. */
  readonly program: string;
  readonly what: string;
  /** Files of bench/corpus/inputs/ copied into the work folder. */
  readonly inputs: readonly string[];
  /** Inputs made by another task: it runs once (under node:wasi) and these files of its work folder are copied in. */
  readonly madeBy?: { readonly task: string; readonly files: readonly string[] };
  /** Folders created in the work folder before the run. */
  readonly mkdirs?: readonly string[];
  /** Guest path → name of one of the program's data folders in the corpus. */
  readonly mounts?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  /** The workload's arguments (after argv[0], the module's file name). */
  readonly args: readonly string[];
  readonly normalize?: Normalization;
}

/**
 * nextpnr prints how long its placer and router took: "time = 0.01s", "HeAP Placer Time: 0.77s",
 * and the router's progress table ends with two columns of seconds ("|  0.23  0.46|").
 */
const NEXTPNR_TIMES: Normalization = {
  what: "nextpnr's own timings masked (placer N.NNs, the router table's two seconds columns)",
  apply: (text) =>
    text.replace(/\b\d+\.\d+s\b/g, '#.##s').replace(/^(Info: .*\|\s+)\d+\.\d+(\s+)\d+\.\d+\|$/gm, '$1#.##$2#.##|'),
};

/**
 * Clang's `-cc1` command for `clang -O2 -c /work/vm.c -o /work/vm.o`, as this build's driver
 * prints it with `-###`: the driver itself would spawn `clang -cc1` as a child process, which
 * WASI cannot do (YoWASP's JS wrapper does the same: runs `-###`, then each job in-process).
 */
const CLANG_CC1 = [
  'clang', '-cc1', '-triple', 'wasm32-unknown-wasip1', '-O2', '-emit-obj', '-disable-free',
  '-clear-ast-before-backend', '-main-file-name', 'vm.c', '-mrelocation-model', 'static',
  '-mframe-pointer=none', '-ffp-contract=on', '-fno-rounding-math', '-mconstructor-aliases',
  '-target-cpu', 'generic', '-fvisibility=hidden', '-debugger-tuning=gdb',
  '-fdebug-compilation-dir=/', '-fcoverage-compilation-dir=/', '-resource-dir', '/usr',
  '-isysroot', '/usr', '-internal-isystem', '/usr/include', '-internal-isystem',
  '/usr/include/wasm32-wasip1', '-internal-isystem', '/usr/include', '-ferror-limit', '19',
  '-fgnuc-version=4.2.1', '-fskip-odr-check-in-gmf', '-vectorize-loops', '-vectorize-slp',
  '-Wall', '-Wextra', '-o', '/work/vm.o', '-x', 'c', '/work/vm.c',
];

export const TASKS: readonly Task[] = [
  {
    name: 'python-compute',
    program: 'python',
    what: 'CPython runs compute.py (backtracking, floats, dicts, regex, JSON, sorting)',
    inputs: ['compute.py'],
    env: { PYTHONHASHSEED: '0' },
    args: ['/work/compute.py'],
  },
  {
    name: 'python-files',
    program: 'python',
    what: 'CPython runs files.py (1200 files in 40 folders: write, walk, stat, read, append, rename, remove)',
    inputs: ['files.py'],
    env: { PYTHONHASHSEED: '0' },
    args: ['/work/files.py', '/work'],
  },
  {
    name: 'yosys',
    program: 'yosys',
    what: 'Yosys synthesizes design.v for iCE40 (synth_ice40, ABC9), writes the netlist and statistics',
    inputs: ['design.v'],
    // ABC writes its scripts and netlists to a temporary folder: $TMPDIR, else /tmp.
    mkdirs: ['tmp'],
    env: { TMPDIR: '/work/tmp' },
    mounts: { '/share': 'share' },
    // -q: Yosys runs ABC in-process with stdout and stderr moved to a file by fd_renumber, and
    // the log after ABC does not come back to stdout (under node:wasi and enarx alike); the
    // results are the files, which are compared.
    args: ['-q', '-p', 'read_verilog /work/design.v; synth_ice40 -top top -json /work/design.json; tee -q -o /work/stat.txt stat'],
  },
  {
    name: 'nextpnr-ice40',
    program: 'nextpnr-ice40',
    what: "nextpnr places and routes Yosys's netlist of design.v on an iCE40 HX1K (seed 1), writes the bitstream text",
    inputs: [],
    madeBy: { task: 'yosys', files: ['design.json'] },
    mounts: { '/share': 'share' },
    args: ['--hx1k', '--package', 'tq144', '--json', '/work/design.json', '--asc', '/work/design.asc', '--seed', '1'],
    normalize: NEXTPNR_TIMES,
  },
  {
    name: 'clang',
    program: 'clang',
    what: 'Clang compiles vm.c to a wasm32-wasip1 object (-O2 -Wall -Wextra)',
    inputs: ['vm.c'],
    mounts: { '/usr': 'usr' },
    args: CLANG_CC1,
  },
  {
    name: 'pandoc',
    program: 'pandoc',
    what: 'pandoc converts doc.md to a standalone HTML page (table of contents, numbered sections, MathML)',
    inputs: ['doc.md'],
    args: ['-s', '--toc', '--number-sections', '--mathml', '-f', 'markdown', '-t', 'html5', '-o', '/work/doc.html', '/work/doc.md'],
  },
];
