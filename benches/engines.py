#!/usr/bin/env python3
"""vpcflow against the engines a user would pick instead, in one run, on the same file.

Usage: benches/engines.py BIN FILE [--repeat N] [--engines LIST]

BIN is a release build of vpcflow (`cargo build --release`: target/release/vpcflow); FILE a
plain-text flow log with a header line, for instance
`vpcflow generate --synthetic 5000000 --out DIR` (DIR/synthetic-v2.log), or a directory of
gzip objects (`*.gz` at any depth, each with its header line, as S3 delivers them; the MB/s
figures are then of the text inside, from the gzip trailers). Three questions:

  count   action, count(*) and sum(bytes) by action: each engine parses what it needs;
  typed   the same with every field of the v2 layout read into its type (integers, times,
          addresses and ids as text) and touched by the query;
  ingest  every field typed into zstd Parquet files partitioned by the day of `start`
          (`vpcflow ingest`; DuckDB's `COPY ... PARTITION_BY`; polars' `sink_parquet`, one
          file: polars has no partitioned sink as simple), written under a fresh directory.

Every run is a fresh process on all cores; the figure is the median of N (default 3) after one
warm-up, with peak resident memory (`/usr/bin/time`). The engines are the pinned versions of
benches/requirements.txt:

  python3 -m venv target/benchenv
  target/benchenv/bin/pip install -r benches/requirements.txt
  target/benchenv/bin/python benches/engines.py target/release/vpcflow FILE
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BIN, FILE = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]
REPEAT = int(ARGS[ARGS.index("--repeat") + 1]) if "--repeat" in ARGS else 3
ENGINES = (ARGS[ARGS.index("--engines") + 1].split(",") if "--engines" in ARGS else
           ["vpcflow", "duckdb", "polars", "vpcflow-typed", "duckdb-typed", "polars-typed",
            "vpcflow-ingest", "duckdb-ingest", "polars-ingest"])

V2 = ["version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
      "protocol", "packets", "bytes", "start", "end", "action", "log_status"]
INTS = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}

COUNT_SQL = "SELECT action, count(*) AS n, sum(bytes) AS b FROM flows GROUP BY 1 ORDER BY 1"
# Every field typed and read: counts of the text fields, sums or maxima of the numbers.
TYPED_SQL = ("SELECT action, count(*) AS n, sum(bytes) AS b, sum(packets) AS p, "
             "count(account_id) AS accounts, count(interface_id) AS enis, "
             "count(srcaddr) AS src, count(dstaddr) AS dst, max(srcport) AS sp, "
             "max(dstport) AS dp, max(protocol) AS proto, max(version) AS v, "
             "max(start) AS first, max(\"end\") AS last, count(log_status) AS status "
             "FROM flows GROUP BY 1 ORDER BY 1")

# How each engine opens the input; the questions below follow on from it.
DUCKDB_OPEN = """
import duckdb
types = {types}
src = (f"read_csv('{file}', delim=' ', header=true, quote='', escape='', nullstr='-', "
       f"columns={{types!r}})")
con = duckdb.connect()
con.sql("SET enable_progress_bar = false")
"""

POLARS_OPEN = """
import os, polars as pl
lf = pl.scan_csv({file!r}, separator=' ', has_header=True, null_values='-', quote_char=None,
                 schema={schema})
lf = lf.rename({{c: c.replace('-', '_') for c in lf.collect_schema().names()}})
"""

DUCKDB_INGEST = DUCKDB_OPEN + """
con.sql(f\"\"\"COPY (SELECT *, CAST(to_timestamp(start) AS DATE) AS day FROM {{src}})
  TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))\"\"\")
"""

POLARS_INGEST = POLARS_OPEN + """
os.makedirs({out!r})
lf.sink_parquet(os.path.join({out!r}, 'flows.parquet'), compression='zstd')
"""

DUCKDB = DUCKDB_OPEN + """
con.sql(f"CREATE VIEW flows AS SELECT * FROM {{src}}")
print(con.sql({sql!r}).fetchall())
"""

POLARS = POLARS_OPEN + """
ctx = pl.SQLContext(flows=lf)
print(ctx.execute({sql!r}).collect().rows())
"""


def source():
    """The input as the Python engines name it: the file, or a glob of a tree's gzip objects."""
    return os.path.join(FILE, "**", "*.gz") if os.path.isdir(FILE) else FILE


def text_bytes():
    """Bytes of text: the file's size, or the sum of the gzip objects' uncompressed sizes."""
    if not os.path.isdir(FILE):
        return os.path.getsize(FILE)
    total = 0
    for d, _, files in os.walk(FILE):
        for f in files:
            if f.endswith(".gz"):
                with open(os.path.join(d, f), "rb") as g:
                    g.seek(-4, os.SEEK_END)
                    total += int.from_bytes(g.read(4), "little")
    return total


def duckdb_types(typed):
    # Untyped: everything text, bytes cast by the query (what a user writes without a schema).
    return {c: ("BIGINT" if typed and c in INTS else
                "BIGINT" if c == "bytes" else "VARCHAR") for c in V2}


def polars_schema(typed):
    # The header names fields with hyphens (log-status); the SQL with underscores.
    return "{" + ", ".join(
        f"{c.replace('_', '-')!r}: pl.{'Int64' if (typed and c in INTS) or c == 'bytes' else 'String'}"
        for c in V2) + "}"


def command(engine, out):
    if engine.endswith("-ingest"):
        if engine.startswith("vpcflow"):
            return [BIN, "ingest", FILE, "--out", out, "-q"]
        if engine.startswith("duckdb"):
            code = DUCKDB_INGEST.format(types=duckdb_types(True), file=source(), out=out)
        else:
            code = POLARS_INGEST.format(schema=polars_schema(True), file=source(), out=out)
        return [sys.executable, "-c", code]
    typed = engine.endswith("-typed")
    sql = TYPED_SQL if typed else COUNT_SQL
    if engine.startswith("vpcflow"):
        return [BIN, "query", sql, FILE, "-o", "csv"]
    if engine.startswith("duckdb"):
        code = DUCKDB.format(types=duckdb_types(typed), file=source(), sql=sql)
    else:
        code = POLARS.format(schema=polars_schema(typed), file=source(), sql=sql)
    return [sys.executable, "-c", code]


def timed(engine, scratch):
    out = tempfile.mkdtemp(dir=scratch)
    os.rmdir(out)
    cmd = command(engine, out)
    began = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if os.path.isdir(out):
        written = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        shutil.rmtree(out)
        p.stdout = f"{written / 1e6:.0f} MB written"
    if p.returncode != 0:
        # An engine that cannot read the input (polars and gzip trees) is reported, not fatal.
        return None, 0, f"failed: {' '.join(p.stderr.split())[-300:]}"
    peak_mb = int(p.stderr.strip().splitlines()[-1]) // 1024
    return seconds, peak_mb, " ".join(p.stdout.split())[:120]


def versions():
    found = {"vpcflow": subprocess.run([BIN, "--version"], capture_output=True,
                                       text=True).stdout.strip()}
    for module in ("duckdb", "polars"):
        try:
            found[module] = __import__(module).__version__
        except ImportError:
            found[module] = "missing: pip install -r benches/requirements.txt"
    return found


def main():
    size = text_bytes()
    print(f"input: {FILE}, {size / 1e6:.0f} MB of text; cores: {os.cpu_count()}; {versions()}")
    medians = {}
    scratch = tempfile.mkdtemp(prefix="vpcflow-engines-")
    for engine in ENGINES:
        warm = timed(engine, scratch)
        if warm[0] is None:
            print(f"{engine:14s} {warm[2]}")
            continue
        runs = [timed(engine, scratch) for _ in range(REPEAT)]
        median = statistics.median(r[0] for r in runs)
        medians[engine] = median
        print(f"{engine:14s} {median:6.2f} s {size / median / 1e6:6.0f} MB/s  "
              f"peak {max(r[1] for r in runs):5d} MB  "
              f"[{', '.join(f'{r[0]:.2f}' for r in runs)}]  {runs[0][2]}")
        sys.stdout.flush()
    shutil.rmtree(scratch, ignore_errors=True)
    for question in ("", "-typed", "-ingest"):
        ours = medians.get("vpcflow" + question)
        for other in ("duckdb", "polars"):
            theirs = medians.get(other + question)
            if ours and theirs:
                print(f"vpcflow{question} / {other}{question}: {ours / theirs:.2f}x the time")


main()
