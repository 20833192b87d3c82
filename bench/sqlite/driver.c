/*
 * The `sqlite` benchmark's workload: SQLite (the amalgamation better-sqlite3 ships, compiled in
 * by bench/sqlite.bench.ts) on a database FILE in the directory given as argv[1]. It inserts
 * 200 000 rows in 20 transactions into a table with a secondary index, then queries, updates and
 * deletes, and prints one line: the row count and an FNV-1a checksum over every value the
 * queries returned, as SQLite formats it (so native and wasm32-wasi builds must agree).
 * stderr gets `ns=` (CLOCK_MONOTONIC around the whole workload, start-up excluded).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite3.h"

#define ROWS 200000
#define BATCH 10000

static sqlite3 *db;
static uint64_t checksum = 1469598103934665603ULL;

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", sql, err);
    exit(1);
  }
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail(sql);
  return st;
}

static void mix(const unsigned char *p, int n) {
  for (int i = 0; i < n; i++) checksum = (checksum ^ p[i]) * 1099511628211ULL;
  checksum = (checksum ^ 0xff) * 1099511628211ULL;
}

/* Steps a statement to the end, mixing every column of every row into the checksum. */
static int drain(sqlite3_stmt *st) {
  int rows = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    rows++;
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const unsigned char *t = sqlite3_column_text(st, c);
      if (t) mix(t, sqlite3_column_bytes(st, c));
    }
  }
  if (rc != SQLITE_DONE) fail("step");
  sqlite3_reset(st);
  return rows;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void insert_rows(void) {
  static const char *words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
  sqlite3_stmt *ins = prepare("INSERT INTO item(k, name, v) VALUES (?1, ?2, ?3)");
  char name[64];
  for (int b = 0; b < ROWS / BATCH; b++) {
    exec("BEGIN");
    for (int i = 0; i < BATCH; i++) {
      uint64_t r = next();
      int n = snprintf(name, sizeof name, "%s-%s-%u", words[r & 7], words[(r >> 3) & 7], (unsigned)(r >> 40));
      sqlite3_bind_int64(ins, 1, (sqlite3_int64)(r % 1000003));
      sqlite3_bind_text(ins, 2, name, n, SQLITE_TRANSIENT);
      sqlite3_bind_double(ins, 3, (double)(r >> 11) / 9007199254740992.0 * 1000.0);
      if (sqlite3_step(ins) != SQLITE_DONE) fail("insert");
      sqlite3_reset(ins);
    }
    exec("COMMIT");
  }
  sqlite3_finalize(ins);
}

static void query(void) {
  sqlite3_stmt *st = prepare("SELECT count(*), sum(k), round(total(v), 3) FROM item");
  drain(st);
  sqlite3_finalize(st);
  st = prepare("SELECT k % 97 AS g, count(*), min(name), max(v) FROM item GROUP BY g ORDER BY g");
  drain(st);
  sqlite3_finalize(st);
  /* Index range scans. */
  st = prepare("SELECT count(*), sum(id) FROM item WHERE k BETWEEN ?1 AND ?1 + 500");
  for (int i = 0; i < 2000; i++) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(next() % 1000003));
    drain(st);
  }
  sqlite3_finalize(st);
  st = prepare("SELECT name FROM item ORDER BY name DESC, id LIMIT 50");
  drain(st);
  sqlite3_finalize(st);
  exec("BEGIN");
  exec("UPDATE item SET v = v * 2 WHERE k % 10 = 0");
  exec("DELETE FROM item WHERE k % 7 = 3");
  exec("COMMIT");
  st = prepare("SELECT count(*), sum(k), round(total(v), 3) FROM item");
  drain(st);
  sqlite3_finalize(st);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/bench.db", argv[1]);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (sqlite3_open(path, &db) != SQLITE_OK) fail(path);
  exec("CREATE TABLE item(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, v REAL NOT NULL)");
  exec("CREATE INDEX item_k ON item(k)");
  insert_rows();
  query();
  sqlite3_stmt *st = prepare("SELECT count(*) FROM item");
  if (sqlite3_step(st) != SQLITE_ROW) fail("count");
  long long rows = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (sqlite3_close(db) != SQLITE_OK) fail("close");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("sqlite %s rows=%lld checksum=%016llx\n", sqlite3_libversion(), rows, (unsigned long long)checksum);
  fprintf(stderr, "ns=%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
  return 0;
}
